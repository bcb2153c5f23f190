/**
 * An atomic state machine per id in a Redis hash (e.g. patient intake steps):
 * a validated definition of allowed moves, compare-and-set transitions in Lua,
 * bounded history and a TTL for abandoned flows.
 *
 * @packageDocumentation
 */
export { compileDefinition, type StateMachineDefinition } from './definition.js';
export { InvalidTransitionError, StateConflictError } from './errors.js';
export {
  type Flow,
  type FlowData,
  type HistoryEntry,
  StateMachine,
  type StateMachineOptions,
  type TransitionResult,
} from './state-machine.js';

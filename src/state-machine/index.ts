/**
 * An atomic state machine per id in a Redis hash (e.g. patient intake steps):
 * a validated definition of allowed moves, compare-and-set transitions in Lua that answer
 * whether they moved the flow, bounded history and a TTL for abandoned flows.
 *
 * @packageDocumentation
 */
export { compileDefinition, type StateMachineDefinition } from './definition.js';
export { InvalidTransitionError } from './errors.js';
export {
  type AlreadyStarted,
  type Flow,
  type FlowData,
  type HistoryEntry,
  MAX_DATA_FIELDS,
  type Moved,
  type NotMoved,
  type Started,
  type StartResult,
  StateMachine,
  type StateMachineOptions,
  type TransitionResult,
} from './state-machine.js';

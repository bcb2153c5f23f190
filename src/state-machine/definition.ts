import { ValidationError } from '../core/errors.js';
import { assertText } from '../core/validation.js';

/**
 * The states of a flow and the moves allowed between them. Every state appears
 * as a key of `transitions`; a state with no outgoing moves is final.
 *
 * @example
 * const intake = {
 *   initial: 'InsuranceCheck',
 *   transitions: { InsuranceCheck: ['CoverageVerified'], CoverageVerified: ['Completed'], Completed: [] },
 * } satisfies StateMachineDefinition<'InsuranceCheck' | 'CoverageVerified' | 'Completed'>;
 */
export interface StateMachineDefinition<S extends string = string> {
  /** Where {@link StateMachine.start} puts a new flow. */
  initial: S;
  /** For each state, the states it may move to. */
  transitions: Record<S, readonly S[]>;
}

const MAX_STATE_LENGTH = 200;

/**
 * Checks a definition once, up front: valid state names, targets that exist,
 * and every state reachable from `initial` (an unreachable state is almost always a typo).
 * Returns the allowed moves as sets.
 */
export function compileDefinition<S extends string>(definition: StateMachineDefinition<S>): Map<S, ReadonlySet<S>> {
  if (definition == null || typeof definition !== 'object') throw new ValidationError('definition', 'is required');
  const { initial, transitions } = definition;
  if (transitions == null || typeof transitions !== 'object') throw new ValidationError('definition.transitions', 'must be an object');
  const moves = new Map<S, ReadonlySet<S>>();
  for (const [state, targets] of Object.entries(transitions) as [S, readonly S[]][]) {
    assertStateName(state);
    if (!Array.isArray(targets)) throw new ValidationError(`definition.transitions.${state}`, 'must be an array of states');
    moves.set(state, new Set(targets));
  }
  if (!moves.has(initial)) throw new ValidationError('definition.initial', `${String(initial)} is not a state of transitions`);
  for (const [state, targets] of moves) {
    for (const to of targets) {
      if (!moves.has(to)) throw new ValidationError(`definition.transitions.${state}`, `target ${String(to)} is not a state`);
    }
  }
  const reached = new Set<S>([initial]);
  const queue: S[] = [initial];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    // Stryker disable next-line ArrayDeclaration: equivalent, the walk only reaches initial and targets, all checked above to be keys of moves
    for (const to of moves.get(s) ?? []) {
      if (!reached.has(to)) {
        reached.add(to);
        queue.push(to);
      }
    }
  }
  const unreachable = [...moves.keys()].filter((s) => !reached.has(s));
  if (unreachable.length) throw new ValidationError('definition', `unreachable from ${initial}: ${unreachable.join(', ')}`);
  return moves;
}

function assertStateName(state: string): void {
  assertText('definition.transitions', state);
  if (state.length === 0 || state.length > MAX_STATE_LENGTH) {
    throw new ValidationError('definition.transitions', `state names must be 1-${MAX_STATE_LENGTH} characters`);
  }
}

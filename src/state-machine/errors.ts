import { RedisPatternsError, ValidationError } from '../core/errors.js';
import { registerScriptError } from '../core/reply-errors.js';

/**
 * The compare-and-set failed: the flow was not in the expected state (another
 * caller moved it first, it expired, or it already exists on `start`).
 */
export class StateConflictError extends RedisPatternsError {
  /** The state the caller expected (`null`: expected no flow, i.e. `start`). */
  readonly expected: string | null;
  /** The state the flow is in (`null`: no such flow, or it expired). */
  readonly actual: string | null;

  constructor(expected: string | null, actual: string | null) {
    super('STATE_CONFLICT', `expected state ${expected ?? '(no flow)'}, found ${actual ?? '(no flow)'}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** The definition does not allow `from -> to`; thrown before anything is sent. */
export class InvalidTransitionError extends ValidationError {
  constructor(
    /** The state the caller tried to move the flow out of. */
    readonly from: string,
    /** The target state the definition does not allow from `from`. */
    readonly to: string,
  ) {
    super('to', `transition ${from} -> ${to} is not allowed`);
  }
}

registerScriptError('STATE_CONFLICT', (detail) => {
  const { expected, actual } = JSON.parse(detail) as { expected: string | null; actual: string | null };
  return new StateConflictError(expected, actual);
});

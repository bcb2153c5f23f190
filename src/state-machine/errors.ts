import { type ErrorCode, ValidationError } from '../core/errors.js';

/**
 * The definition does not allow `from -> to`, or `from` or `to` is not a state of it; thrown
 * before anything is sent. A {@link ValidationError} with its own code `INVALID_TRANSITION`;
 * `field` is `from` when `from` is not a state, `to` otherwise.
 */
export class InvalidTransitionError extends ValidationError {
  /** The `code` of every error of this class: `INVALID_TRANSITION`. */
  static override readonly code: ErrorCode = 'INVALID_TRANSITION';
  /** The state the caller tried to move the flow out of. */
  readonly from: string;
  /** The target state the definition does not allow from `from`. */
  readonly to: string;

  constructor(from: string, to: string, reason: 'from-not-a-state' | 'to-not-a-state' | 'not-allowed') {
    const field = reason === 'from-not-a-state' ? 'from' : 'to';
    const why = reason === 'not-allowed' ? 'is not allowed' : `is not allowed: ${reason === 'from-not-a-state' ? from : to} is not a state`;
    super(field, `transition ${from} -> ${to} ${why}`, InvalidTransitionError.code);
    this.from = from;
    this.to = to;
  }
}

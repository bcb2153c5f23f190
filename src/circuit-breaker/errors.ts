import { RedisPatternsError } from '../core/errors.js';
import type { CircuitState } from './options.js';

/**
 * A call was not run because the circuit is open, or half-open with every probe
 * slot taken. Code `CIRCUIT_OPEN`.
 */
export class CircuitOpenError extends RedisPatternsError {
  /** The `code` of every error of this class: `CIRCUIT_OPEN`. */
  static readonly code = 'CIRCUIT_OPEN';
  /** Name of the breaker that rejected the call. */
  readonly breaker: string;
  /** State that rejected the call: `open`, or `half-open` when all probes are in flight. */
  readonly state: Exclude<CircuitState, 'closed'>;
  /**
   * Milliseconds until a call may be admitted again: the rest of the open period, or
   * when half-open the time until the oldest probe lease ends (probes may finish sooner).
   */
  readonly retryAfterMs: number;

  constructor(breaker: string, state: Exclude<CircuitState, 'closed'>, retryAfterMs: number) {
    super(CircuitOpenError.code, `circuit ${breaker} is ${state}; retry in ${retryAfterMs} ms`);
    this.breaker = breaker;
    this.state = state;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * The wrapped call did not settle within the breaker's `timeoutMs`; it counts as a
 * failure and its `AbortSignal` is aborted with this error. Code `CALL_TIMEOUT`.
 */
export class CallTimeoutError extends RedisPatternsError {
  /** The `code` of every error of this class: `CALL_TIMEOUT`. */
  static readonly code = 'CALL_TIMEOUT';
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(breaker: string, timeoutMs: number) {
    super(CallTimeoutError.code, `call through circuit ${breaker} did not settle within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Events of a {@link CircuitBreaker} (an `EventEmitter`) and their arguments. State events
 * (`opened`, `halfOpened`, `closed`) are emitted by every instance when it first sees the new
 * shared state, whether its own call caused the transition or another instance's did. They
 * are about the circuit: `CircuitBreaker.close()`, which releases the instance, emits nothing.
 * The breaker never emits `'error'`.
 */
export interface CircuitBreakerEvents {
  /** The circuit opened; calls fail fast for `retryAfterMs`. */
  opened: [
    {
      /** How long the circuit stays open before it turns half-open, in ms. */
      retryAfterMs: number;
    },
  ];
  /** The open period ended: probes may run. */
  halfOpened: [];
  /** The circuit closed: a probe succeeded, or `forceClose()` / `reset()` (of this instance, or seen from another's). */
  closed: [];
  /** A call was rejected without running. */
  reject: [
    {
      /** The state that rejected the call: `open`, or `half-open` with every probe slot taken. */
      state: 'open' | 'half-open';
      /** How long until a call may be admitted again, in ms (the same value the `CircuitOpenError` carries). */
      retryAfterMs: number;
    },
  ];
  /** A call succeeded (or failed with an error `isFailure` does not count). */
  success: [
    {
      /** How long the call ran, in ms. */
      durationMs: number;
    },
  ];
  /** A call failed and was counted as a failure (timeouts included). */
  failure: [
    {
      /** What the call threw (a `CallTimeoutError` for a timeout). */
      error: unknown;
      /** How long the call ran before it failed, in ms. */
      durationMs: number;
    },
  ];
  /** A call took longer than `timeoutMs` (followed by `failure`). */
  timeout: [
    {
      /** The configured call timeout that was exceeded, in ms. */
      timeoutMs: number;
    },
  ];
  /** A rejected or failed call was answered by its fallback. */
  fallback: [
    {
      /** The error the fallback was called with: the `CircuitOpenError` of a rejected call, or what a failed call threw. */
      error: unknown;
    },
  ];
  /** Redis did not answer: this instance now runs on its local state. `error` is typed (`RedisUnavailableError`, `CommandTimeoutError`, ...). */
  redisUnavailable: [
    {
      /** Why Redis was given up on (non-`Error` values are wrapped in an `Error`). */
      error: Error;
    },
  ];
  /** Redis answered again: this instance is back on the shared state. */
  redisRestored: [];
}

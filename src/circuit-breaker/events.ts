/**
 * Events of a {@link CircuitBreaker} and their arguments. State events (`open`,
 * `halfOpen`, `close`) are emitted by every instance when it first sees the new shared
 * state, whether its own call caused the transition or another instance's did.
 */
export interface CircuitBreakerEvents {
  /** The circuit opened; calls fail fast for `retryAfterMs`. */
  open: [{ retryAfterMs: number }];
  /** The open period ended: probes may run. */
  halfOpen: [];
  /** The circuit closed (a probe succeeded, or `close()` / `reset()`). */
  close: [];
  /** A call was rejected without running. */
  reject: [{ state: 'open' | 'half-open'; retryAfterMs: number }];
  /** A call succeeded (or failed with an error `isFailure` does not count). */
  success: [{ durationMs: number }];
  /** A call failed and was counted as a failure (timeouts included). */
  failure: [{ error: unknown; durationMs: number }];
  /** A call took longer than `timeoutMs` (followed by `failure`). */
  timeout: [{ timeoutMs: number }];
  /** A rejected or failed call was answered by its fallback. */
  fallback: [{ error: unknown }];
  /** Redis did not answer: this instance now runs on its local state. `error` is typed (`RedisUnavailableError`, `CommandTimeoutError`, ...). */
  redisUnavailable: [{ error: Error }];
  /** Redis answered again: this instance is back on the shared state. */
  redisRestored: [];
}

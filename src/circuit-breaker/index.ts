/**
 * A circuit breaker whose state is shared by every instance through Redis: closed,
 * open and half-open with a bounded number of probes across all instances, a rolling
 * failure window (count or rate), atomic transitions in Lua on Redis time, and a local
 * fallback state when Redis is unavailable.
 *
 * @packageDocumentation
 */

export { CircuitBreaker, type ExecuteOptions, SUCCESS_REPORT_MS } from './circuit-breaker.js';
export { CallTimeoutError, CircuitOpenError } from './errors.js';
export type { CircuitBreakerEvents } from './events.js';
export type { CircuitBreakerOptions, CircuitState } from './options.js';
export type { CircuitStatus } from './types.js';

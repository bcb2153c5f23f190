import type { ConnectionLike } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';

/** The three states of a circuit. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of {@link CircuitBreaker}. Instances that share a `name` should share these too. */
export interface CircuitBreakerOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Name of the protected dependency; every instance using this name shares one circuit. */
  name: string;
  /**
   * Open when this many failures are in the window (count mode). Give this or
   * `failureRate`, not both. Default: unset (rate mode).
   */
  failureThreshold?: number;
  /**
   * Open when failures / calls in the window reach this share, in (0, 1] (rate mode).
   * Default `0.5` when `failureThreshold` is not given.
   */
  failureRate?: number;
  /**
   * Calls the window must hold before it may open the circuit, so that one failure
   * out of one call does not count as a 100 % rate. Default `10` in rate mode, `0` in count mode.
   */
  minimumRequests?: number;
  /** Length of the rolling window in ms; older outcomes are forgotten. Default `10000`. */
  windowMs?: number;
  /**
   * Buckets the window is cut into: outcomes leave the window one bucket
   * (`ceil(windowMs / windowBuckets)` ms) at a time. 1 to 100. Default `10`.
   */
  windowBuckets?: number;
  /** How long the circuit stays open before it lets probes through, in ms. Default `30000`. */
  openMs?: number;
  /** Trial calls a half-open circuit admits at once, across all instances. Default `1`. */
  halfOpenMaxProbes?: number;
  /**
   * Call timeout in ms; a call that takes longer fails with `CallTimeoutError` (its
   * `AbortSignal` aborts with it) and counts as a failure. `0` = none. Default `10000`.
   */
  timeoutMs?: number;
  /**
   * How long a probe holds its slot if it never reports back (its process died), in ms;
   * at least `timeoutMs`. Default `timeoutMs + 1000`, or `60000` without a timeout.
   */
  probeLeaseMs?: number;
  /**
   * How long an open or half-open circuit's state outlives its last change when no
   * instance touches it, in ms; after that the breaker starts closed. Default `600000`.
   */
  idleTtlMs?: number;
  /**
   * Keep the shared state in memory for this many ms: a closed (or open) circuit then
   * costs no round trip before a call, and successes are sent in one batch at most this
   * late. Another instance's opening is seen up to this late (this instance's own failures
   * are recorded at once, and a half-open circuit is never cached: probes always come from
   * Redis). `0` = ask Redis before every call (one round trip per call, which also carries
   * earlier successes). Default `100`: a dependency that starts failing is cut off by every
   * instance within 0.1 s of the opening, at the cost of an in-process breaker.
   */
  cacheMs?: number;
  /**
   * How long a call waits for Redis (the check before it, the record after it, and
   * `status()`) before the breaker carries on with its local state, in ms; never longer than
   * the connection's `commandTimeoutMs`. Default `250`.
   */
  redisTimeoutMs?: number;
  /** While Redis is unavailable, how often to try it again, in ms. Default `1000`. */
  redisRetryMs?: number;
  /**
   * Which errors count as failures of the dependency. Errors it returns `false` for
   * (a 404, a validation error of the remote API) are passed to the caller but count
   * as successes. Timeouts always count. Default: every error counts.
   */
  isFailure?: (error: unknown) => boolean;
}

/** The options with defaults applied and checked. */
export interface ResolvedOptions {
  name: string;
  /** 0 in rate mode. */
  failureThreshold: number;
  /** 0 in count mode. */
  failureRate: number;
  minimumRequests: number;
  bucketMs: number;
  windowBuckets: number;
  openMs: number;
  halfOpenMaxProbes: number;
  timeoutMs: number;
  probeLeaseMs: number;
  idleTtlMs: number;
  cacheMs: number;
  redisTimeoutMs: number;
  redisRetryMs: number;
  isFailure: ((error: unknown) => boolean) | undefined;
}

/** Applies defaults and throws {@link ValidationError} for any bad option, before anything is sent. */
export function resolveOptions(o: CircuitBreakerOptions): ResolvedOptions {
  if (o == null || typeof o !== 'object') throw new ValidationError('options', 'must be an object');
  assertKeyPart('name', o.name);
  const countMode = o.failureThreshold !== undefined;
  if (countMode && o.failureRate !== undefined) {
    throw new ValidationError('failureRate', 'give failureThreshold or failureRate, not both');
  }
  const failureThreshold = o.failureThreshold ?? 0;
  if (countMode) assertPositiveInteger('failureThreshold', failureThreshold);
  const failureRate = countMode ? 0 : (o.failureRate ?? 0.5);
  if (!countMode && !(typeof failureRate === 'number' && failureRate > 0 && failureRate <= 1)) {
    throw new ValidationError('failureRate', `must be a number in (0, 1], got ${String(failureRate)}`);
  }
  const minimumRequests = integer('minimumRequests', o.minimumRequests, countMode ? 0 : 10, 0);
  const windowMs = integer('windowMs', o.windowMs, 10_000);
  const windowBuckets = integer('windowBuckets', o.windowBuckets, 10);
  if (windowBuckets > 100 || windowBuckets > windowMs) {
    throw new ValidationError('windowBuckets', `must be at most 100 and at most windowMs, got ${windowBuckets}`);
  }
  const timeoutMs = integer('timeoutMs', o.timeoutMs, 10_000, 0);
  const probeLeaseMs = integer('probeLeaseMs', o.probeLeaseMs, timeoutMs > 0 ? timeoutMs + 1000 : 60_000);
  if (probeLeaseMs < timeoutMs) {
    throw new ValidationError('probeLeaseMs', `must be at least timeoutMs (${timeoutMs}), got ${probeLeaseMs}`);
  }
  if (o.isFailure !== undefined && typeof o.isFailure !== 'function') {
    throw new ValidationError('isFailure', 'must be a function');
  }
  return {
    name: o.name,
    failureThreshold,
    failureRate,
    minimumRequests,
    bucketMs: Math.ceil(windowMs / windowBuckets),
    windowBuckets,
    openMs: integer('openMs', o.openMs, 30_000),
    halfOpenMaxProbes: integer('halfOpenMaxProbes', o.halfOpenMaxProbes, 1),
    timeoutMs,
    probeLeaseMs,
    idleTtlMs: integer('idleTtlMs', o.idleTtlMs, 600_000),
    cacheMs: integer('cacheMs', o.cacheMs, 100, 0),
    redisTimeoutMs: integer('redisTimeoutMs', o.redisTimeoutMs, 250),
    redisRetryMs: integer('redisRetryMs', o.redisRetryMs, 1000),
    isFailure: o.isFailure,
  };
}

/** `value` or its default, checked to be an integer >= `min` (1 or 0). */
function integer(field: string, value: unknown, fallback: number, min: 0 | 1 = 1): number {
  const v = value ?? fallback;
  if (min === 1) assertPositiveInteger(field, v);
  else assertNonNegativeInteger(field, v);
  return v;
}

import { RedisPatternsError } from '../core/errors.js';

/**
 * The write went to the source of truth, but dropping the cached copies failed
 * (Redis unavailable or too slow): readers may see the old value until its TTL runs out.
 * `result` is what the write returned. Code `CACHE_INVALIDATION`.
 */
export class CacheInvalidationError extends RedisPatternsError {
  /** The error's `code`, for `switch` without an instance. */
  static readonly code = 'CACHE_INVALIDATION';
  /** What the write returned. */
  readonly result: unknown;

  constructor(result: unknown, cause: unknown) {
    super(CacheInvalidationError.code, 'the write succeeded but the cache could not be invalidated', { cause });
    this.result = result;
  }
}

/**
 * A loader did not settle within the cache's `loadTimeoutMs`: the `wrap` waiting for it
 * rejects with this error, the loader's `signal` is aborted with it, and nothing is stored.
 * Code `CALL_TIMEOUT`, the code of every error for a function of yours that ran out of time.
 */
export class CacheLoadTimeoutError extends RedisPatternsError {
  /** The error's `code`, for `switch` without an instance. */
  static readonly code = 'CALL_TIMEOUT';
  /** The limit that ran out, in ms. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(CacheLoadTimeoutError.code, `the cache's loader did not settle within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

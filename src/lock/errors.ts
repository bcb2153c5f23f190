import { RedisPatternsError } from '../core/errors.js';

/** A lock, permit or Redlock could not be acquired within the wait limit (or retries). Code `LOCK_NOT_ACQUIRED`. */
export class LockNotAcquiredError extends RedisPatternsError {
  /** `LOCK_NOT_ACQUIRED` */
  static readonly code = 'LOCK_NOT_ACQUIRED';
  /** The resource (or semaphore name) that stayed busy. */
  readonly resource: string;

  constructor(resource: string, message: string, options?: { cause?: unknown }) {
    super(LockNotAcquiredError.code, `${resource}: ${message}`, options);
    this.resource = resource;
  }
}

/**
 * A held lock was lost before the work under it finished: an extension was refused
 * (the TTL ran out and someone else may hold it) or could not be confirmed in time.
 * Code `LOCK_LOST`.
 */
export class LockLostError extends RedisPatternsError {
  /** `LOCK_LOST` */
  static readonly code = 'LOCK_LOST';
  /** The resource whose lock was lost. */
  readonly resource: string;

  constructor(resource: string, message: string, options?: { cause?: unknown }) {
    super(LockLostError.code, `${resource}: ${message}`, options);
    this.resource = resource;
  }
}

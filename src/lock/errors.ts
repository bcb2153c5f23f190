import { RedisPatternsError } from '../core/errors.js';

/** A lock, permit or Redlock could not be acquired within the wait limit (or retries). */
export class LockNotAcquiredError extends RedisPatternsError {
  /** The resource (or semaphore name) that stayed busy. */
  readonly resource: string;

  constructor(resource: string, message: string, options?: { cause?: unknown }) {
    super('LOCK_NOT_ACQUIRED', `${resource}: ${message}`, options);
    this.resource = resource;
  }
}

/**
 * A held lock was lost before the work under it finished: an extension was refused
 * (the TTL ran out and someone else may hold it) or could not be confirmed in time.
 */
export class LockLostError extends RedisPatternsError {
  /** The resource whose lock was lost. */
  readonly resource: string;

  constructor(resource: string, message: string, options?: { cause?: unknown }) {
    super('LOCK_LOST', `${resource}: ${message}`, options);
    this.resource = resource;
  }
}

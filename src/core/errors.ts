/**
 * Base class of every error this library throws. Catch this to handle any
 * redis-patterns failure; check `code` or `instanceof` a subclass for the kind.
 */
export class RedisPatternsError extends Error {
  /** Stable, machine-readable error kind (e.g. `VALIDATION`, `REDIS_TIMEOUT`). */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input, rejected before anything is sent to Redis. */
export class ValidationError extends RedisPatternsError {
  /** Name of the offending option or argument. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('VALIDATION', `${field}: ${message}`);
    this.field = field;
  }
}

/**
 * Redis could not be reached: connection refused or closed, client offline.
 * The operation did not run (or its outcome is unknown if it was in flight).
 */
export class RedisUnavailableError extends RedisPatternsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REDIS_UNAVAILABLE', message, options);
  }
}

/**
 * Redis did not answer within the connection's `commandTimeoutMs`. The command
 * may still run on the server later; operations built on it are designed so
 * that a late execution is harmless (owner checks, TTLs).
 */
export class CommandTimeoutError extends RedisPatternsError {
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, command: string) {
    super('REDIS_TIMEOUT', `Redis did not answer ${command} within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** Redis answered with an error reply that no module turned into a typed error. */
export class RedisCommandError extends RedisPatternsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REDIS_ERROR', message, options);
  }
}

/** A value could not be serialized or deserialized. */
export class SerializationError extends RedisPatternsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SERIALIZATION', message, options);
  }
}

/**
 * Every `code` an error of this library can carry: the core's, then each module's. Switch on
 * it, or use `instanceof`; each error class also has it as a static `code`.
 */
export type ErrorCode =
  // core
  | 'VALIDATION'
  | 'REDIS_UNAVAILABLE'
  | 'REDIS_TIMEOUT'
  | 'REDIS_ERROR'
  | 'REDIS_OOM'
  | 'SERIALIZATION'
  | 'EVICTION_POLICY'
  | 'REPLICATION'
  // cache
  | 'CACHE_INVALIDATION'
  // circuit-breaker
  | 'CIRCUIT_OPEN'
  | 'CALL_TIMEOUT'
  // counters
  | 'BLOOM_CONFIG'
  | 'BLOOM_MODULE_MISSING'
  // geo
  | 'GEO_MEMBER_NOT_FOUND'
  | 'GEO_REBUILD'
  // lock
  | 'LOCK_NOT_ACQUIRED'
  | 'LOCK_LOST'
  // state-machine
  | 'INVALID_TRANSITION';

/**
 * Base class of every error this library throws. Catch this to handle any
 * redis-patterns failure; check `code` or `instanceof` a subclass for the kind.
 */
export class RedisPatternsError extends Error {
  /** Stable, machine-readable error kind (see {@link ErrorCode}). */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad input, rejected before anything is sent to Redis. Code `VALIDATION`. */
export class ValidationError extends RedisPatternsError {
  /** `VALIDATION` */
  static readonly code: ErrorCode = 'VALIDATION';
  /** Name of the offending option or argument. */
  readonly field: string;

  /** @param code - a subclass's more specific code; default `VALIDATION` */
  constructor(field: string, message: string, code: ErrorCode = ValidationError.code) {
    super(code, `${field}: ${message}`);
    this.field = field;
  }
}

/**
 * Redis could not be reached: connection refused or closed, client offline, cluster down.
 * The operation did not run (or its outcome is unknown if it was in flight). Code
 * `REDIS_UNAVAILABLE`.
 */
export class RedisUnavailableError extends RedisPatternsError {
  /** `REDIS_UNAVAILABLE` */
  static readonly code = 'REDIS_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(RedisUnavailableError.code, message, options);
  }
}

/**
 * Redis did not answer within the call's time limit (`commandTimeoutMs` or a module's own
 * `timeoutMs`). The command may still run on the server later; operations built on it are
 * designed so that a late execution is harmless (owner checks, TTLs). Code `REDIS_TIMEOUT`.
 */
export class CommandTimeoutError extends RedisPatternsError {
  /** `REDIS_TIMEOUT` */
  static readonly code = 'REDIS_TIMEOUT';
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, command: string) {
    super(CommandTimeoutError.code, `Redis did not answer ${command} within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** Redis answered with an error reply that no module turned into a typed error. Code `REDIS_ERROR`. */
export class RedisCommandError extends RedisPatternsError {
  /** `REDIS_ERROR` */
  static readonly code: ErrorCode = 'REDIS_ERROR';

  /** @param code - a subclass's more specific code; default `REDIS_ERROR` */
  constructor(message: string, options?: { cause?: unknown }, code: ErrorCode = RedisCommandError.code) {
    super(code, message, options);
  }
}

/**
 * Redis refused a write because it reached `maxmemory` under the `noeviction` policy
 * (`OOM command not allowed ...`). Redis is up and answering: this is not an outage, and no
 * module treats it as one (a rate limiter does not fail open on it unless told to). A script
 * can only fail this way at its first write, so it never leaves a half-done change. Code
 * `REDIS_OOM`.
 */
export class RedisOutOfMemoryError extends RedisCommandError {
  /** `REDIS_OOM` */
  static override readonly code: ErrorCode = 'REDIS_OOM';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, RedisOutOfMemoryError.code);
  }
}

/**
 * A write that asked for durability (`WAIT`) was not confirmed by enough replicas in time. The
 * write ran on the primary and may or may not survive a failover; modules that use durability
 * treat the operation as not done (a lock releases its grant, a queue's caller should retry
 * with the same job id). Code `REPLICATION`.
 */
export class ReplicationError extends RedisPatternsError {
  /** `REPLICATION` */
  static readonly code = 'REPLICATION';
  /** Replicas that confirmed the write. */
  readonly acknowledged: number;
  /** Replicas that had to. */
  readonly required: number;

  constructor(acknowledged: number, required: number) {
    super(ReplicationError.code, `only ${acknowledged} of ${required} replicas confirmed the write in time`);
    this.acknowledged = acknowledged;
    this.required = required;
  }
}

/** A value could not be serialized or deserialized. Code `SERIALIZATION`. */
export class SerializationError extends RedisPatternsError {
  /** `SERIALIZATION` */
  static readonly code = 'SERIALIZATION';

  constructor(message: string, options?: { cause?: unknown }) {
    super(SerializationError.code, message, options);
  }
}

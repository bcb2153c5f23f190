import type { RedisPatternsError } from '../core/errors.js';

/**
 * The Redis work a `redisError` event reports: a public call (`get`, `mget`, `set`, `mset`,
 * `delete`, `invalidateTag`, `expireTag`, `clear`), or a step of `wrap`: `get` (the read), `claim` (taking or polling
 * the load guard), `store` (writing the loaded value), `release` (freeing the guard after a
 * loader error), and `subscribe` (the L1 tier's invalidation channel).
 */
export type CacheOperation =
  | 'get'
  | 'mget'
  | 'set'
  | 'mset'
  | 'delete'
  | 'invalidateTag'
  | 'expireTag'
  | 'clear'
  | 'claim'
  | 'store'
  | 'release'
  | 'subscribe';

/** The key a read event is about. */
export interface CacheKeyEvent {
  /** The cache key. */
  key: string;
}

/**
 * Events of a {@link Cache} (it is an `EventEmitter`), for metrics and logs. Listeners run
 * synchronously on the cache's path: keep them short and never throw. An event nobody
 * listens to costs nothing. The cache never emits `'error'`: failures it absorbs arrive as
 * `redisError`, `serializationError` and `refreshFailed`.
 */
export interface CacheEvents {
  /** A read (`wrap`, `get`, a key of `mget`) was answered from the in-process L1 tier. */
  l1Hit: [event: CacheKeyEvent];
  /** A read was answered from a fresh entry in Redis. */
  hit: [event: CacheKeyEvent];
  /** A `wrap` was answered from an entry in its stale-while-revalidate grace period (a background refresh follows). */
  stale: [event: CacheKeyEvent];
  /** A read found no usable entry; a `wrap` then loads, or waits for another instance's load. */
  miss: [event: CacheKeyEvent];
  /** The loader resolved (after a miss or in a background refresh); its value is stored next. */
  load: [
    event: CacheKeyEvent & {
      /** How long the loader took, in ms. */
      durationMs: number;
    },
  ];
  /** A background reload started (stale entry or XFetch early refresh). */
  refresh: [event: CacheKeyEvent];
  /** A background reload's loader threw; the old value stays until it expires. */
  refreshFailed: [
    event: CacheKeyEvent & {
      /** What the loader threw. */
      error: unknown;
    },
  ];
  /**
   * Redis failed, was unreachable or did not answer in time. Reads and writes absorb it
   * (reads serve the loader's value, `set` / `mset` resolve `false`); `delete`,
   * `invalidateTag`, `expireTag` and `clear` also reject with it. At most one per call; a background write or refresh
   * reports its own.
   */
  redisError: [
    event: {
      /** What the cache was doing. */
      operation: CacheOperation;
      /** The cache key, when the work concerned one key. */
      key?: string;
      /** The typed error (`RedisUnavailableError`, `CommandTimeoutError`, `RedisCommandError`). */
      error: RedisPatternsError;
    },
  ];
  /**
   * A value could not be serialized (`encode`: a loader's value, returned to the caller but
   * not cached) or a stored entry could not be read back (`decode`: treated as a miss).
   */
  serializationError: [
    event: CacheKeyEvent & {
      /** Which direction failed. */
      operation: 'encode' | 'decode';
      /** The serializer's error. */
      error: unknown;
    },
  ];
}

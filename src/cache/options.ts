import type { ConnectionLike } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import { assertKeyPart, assertNonNegative, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';

/** Options of the in-process L1 tier. */
export interface L1Options {
  /** Most entries held; the least recently used one is evicted. Default `1000`. */
  maxEntries?: number;
  /** How long an entry stays in L1, in ms (never longer than it is fresh in Redis). Default `5000`. */
  ttlMs?: number;
}

/** Options of a {@link Cache}. */
export interface CacheOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Default time an entry is fresh, in ms. Required: every entry gets a TTL. */
  ttlMs: number;
  /**
   * TTL of a negative entry (the loader returned `null` or `undefined`), in ms;
   * `0` does not cache such results. Default `min(ttlMs, 10000)`.
   */
  negativeTtlMs?: number;
  /**
   * Grace period after an entry stops being fresh during which `wrap` still
   * returns it at once and refreshes it in the background (one loader call across
   * instances). Default `0` (off).
   */
  staleWhileRevalidateMs?: number;
  /**
   * XFetch early refresh: a hit refreshes the entry in the background with a
   * probability that grows as expiry nears, scaled by how long the loader took.
   * `1` is the paper's value; `0` turns it off. Default `0`.
   */
  earlyRefreshBeta?: number;
  /** Stampede protection across instances: one instance loads, the others wait for its value. Default `true`. */
  distributedLock?: boolean;
  /**
   * TTL of the load guard, in ms (capped at the entry's TTL): if the loading
   * instance dies, another takes over after this long. Default `5000`.
   */
  lockTtlMs?: number;
  /** Longest a caller waits for another instance's load before calling the loader itself, in ms. Default `2 * lockTtlMs`. */
  lockWaitMs?: number;
  /** Longest any read or write waits for Redis before giving up on the cache (reads fall through to the loader), in ms. Default `500`. */
  timeoutMs?: number;
  /** After Redis failed (down or timed out), the cache skips Redis for this long, in ms, so reads do not each wait for a timeout. Default `1000`. */
  offlineBackoffMs?: number;
  /** The in-process tier, kept coherent over pub/sub. `false` (default) for none. */
  l1?: L1Options | false;
  /**
   * Publish invalidation messages on writes (set, delete, invalidateTag) so that
   * other instances' L1 tiers drop the keys. Must be on in every instance that
   * writes while any instance uses L1. Default `true`.
   */
  broadcastInvalidations?: boolean;
  /**
   * Number of slot buckets entries are spread over (see the guide). All
   * instances must agree. Default `64` on a cluster, `1` on standalone Redis.
   */
  buckets?: number;
  /** Receives every cache event, for metrics and logs. Must not throw. */
  onEvent?: (event: CacheEvent) => void;
}

/** Per-call options of `Cache.wrap`. */
export interface WrapOptions {
  /** Fresh TTL of this entry, in ms. Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** Default: the cache's `negativeTtlMs`. */
  negativeTtlMs?: number;
  /** Default: the cache's `staleWhileRevalidateMs`. */
  staleWhileRevalidateMs?: number;
  /** Default: the cache's `earlyRefreshBeta`. */
  earlyRefreshBeta?: number;
  /** Tags the stored entry carries, for `invalidateTag`. Default none. */
  tags?: readonly string[];
}

/** Per-call options of `Cache.set`. */
export interface SetOptions {
  /** Fresh TTL, in ms. Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** Default: the cache's `staleWhileRevalidateMs`. */
  staleWhileRevalidateMs?: number;
  /** Tags the entry carries, for `invalidateTag`. Default none. */
  tags?: readonly string[];
}

/** One entry of `Cache.mset`. */
export interface MsetEntry {
  /** The cache key to store under. */
  key: string;
  /** The value to store, encoded with the connection's serializer. */
  value: unknown;
  /** Fresh TTL, in ms. Default: the cache's `ttlMs`. */
  ttlMs?: number;
}

/** What happened, for metrics: `l1-hit`, `hit` (Redis), `stale` (served in grace), `miss`, `load` (the loader ran), `refresh` (background reload), `error`. */
export type CacheEvent =
  | {
      /** How a `wrap` call was answered: from the in-process tier, a fresh Redis entry, an entry in its grace period, or not at all (`miss`: a load follows). */
      type: 'l1-hit' | 'hit' | 'stale' | 'miss';
      /** The cache key looked up. */
      key: string;
    }
  | {
      /** The loader resolved (after a miss or in a background refresh); its value is stored next. */
      type: 'load';
      /** The cache key loaded. */
      key: string;
      /** How long the loader took, in ms. */
      durationMs: number;
    }
  | {
      /** A background reload started (stale entry or XFetch early refresh). */
      type: 'refresh';
      /** The cache key being refreshed. */
      key: string;
    }
  | {
      /** A Redis operation, an entry decode or a background reload failed. Reads fall back to the loader; `delete` and `invalidateTag` also reject. */
      type: 'error';
      /** The cache key involved, when the operation concerned one key. */
      key?: string;
      /** What failed, e.g. `get`, `set`, `mget`, `mset`, `lock`, `store`, `refresh`, `delete`, `invalidateTag`, `subscribe`, `decode`. */
      operation: string;
      /** The error thrown. */
      error: unknown;
    };

/** Counters since the cache was created. */
export interface CacheStats {
  /** `wrap` calls answered from the in-process L1 tier. */
  l1Hits: number;
  /** `wrap` calls answered from a fresh entry in Redis. */
  hits: number;
  /** `wrap` calls answered from an entry in its stale-while-revalidate grace period. */
  stale: number;
  /** `wrap` calls that found no usable entry in L1 or Redis (absent, undecodable, or Redis unavailable), so load or wait for another instance's load. */
  misses: number;
  /** Loader calls (foreground and background). */
  loads: number;
  /** Background reloads started (stale entries and XFetch early refreshes). */
  refreshes: number;
  /** Redis failures and background loader failures. */
  errors: number;
}

/** Fully resolved per-entry policy. */
export interface EntryPolicy {
  ttlMs: number;
  negativeTtlMs: number;
  graceMs: number;
  beta: number;
  tags: readonly string[] | undefined;
}

/** Validates cache-wide options; throws {@link ValidationError}. */
export function validateCacheOptions(o: CacheOptions): void {
  if (o == null || typeof o !== 'object') throw new ValidationError('options', 'are required');
  assertPositiveInteger('ttlMs', o.ttlMs);
  if (o.negativeTtlMs !== undefined) assertNonNegativeInteger('negativeTtlMs', o.negativeTtlMs);
  if (o.staleWhileRevalidateMs !== undefined) assertNonNegativeInteger('staleWhileRevalidateMs', o.staleWhileRevalidateMs);
  if (o.earlyRefreshBeta !== undefined) assertNonNegative('earlyRefreshBeta', o.earlyRefreshBeta);
  if (o.lockTtlMs !== undefined) assertPositiveInteger('lockTtlMs', o.lockTtlMs);
  if (o.lockWaitMs !== undefined) assertNonNegativeInteger('lockWaitMs', o.lockWaitMs);
  if (o.timeoutMs !== undefined) assertPositiveInteger('timeoutMs', o.timeoutMs);
  if (o.offlineBackoffMs !== undefined) assertNonNegativeInteger('offlineBackoffMs', o.offlineBackoffMs);
  if (o.buckets !== undefined) assertPositiveInteger('buckets', o.buckets);
  if (o.l1) {
    if (o.l1.maxEntries !== undefined) assertPositiveInteger('l1.maxEntries', o.l1.maxEntries);
    if (o.l1.ttlMs !== undefined) assertPositiveInteger('l1.ttlMs', o.l1.ttlMs);
  }
}

/** Merges per-call options over the cache's defaults, validating what the caller passed. */
export function resolvePolicy(defaults: EntryPolicy, o: WrapOptions | SetOptions | undefined): EntryPolicy {
  if (o === undefined) return defaults;
  const w = o as WrapOptions;
  if (w.ttlMs !== undefined) assertPositiveInteger('ttlMs', w.ttlMs);
  if (w.negativeTtlMs !== undefined) assertNonNegativeInteger('negativeTtlMs', w.negativeTtlMs);
  if (w.staleWhileRevalidateMs !== undefined) assertNonNegativeInteger('staleWhileRevalidateMs', w.staleWhileRevalidateMs);
  if (w.earlyRefreshBeta !== undefined) assertNonNegative('earlyRefreshBeta', w.earlyRefreshBeta);
  if (w.tags !== undefined) {
    if (!Array.isArray(w.tags)) throw new ValidationError('tags', 'must be an array of strings');
    for (const t of w.tags) assertKeyPart('tags[]', t);
  }
  return {
    ttlMs: w.ttlMs ?? defaults.ttlMs,
    negativeTtlMs: w.negativeTtlMs ?? defaults.negativeTtlMs,
    graceMs: w.staleWhileRevalidateMs ?? defaults.graceMs,
    beta: w.earlyRefreshBeta ?? defaults.beta,
    tags: w.tags && w.tags.length > 0 ? [...new Set(w.tags)] : undefined,
  };
}

import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import { assertSerializer, type Serializer } from '../core/serializer.js';
import { assertKeyPart, assertNonNegative, assertNonNegativeInteger, assertPositiveInteger, booleanOption } from '../core/validation.js';

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
  /**
   * Longest one cache call waits for Redis, in ms, all its commands together (the time its
   * loader runs and its waits for another instance's load do not count). Each command gets
   * what is left; with nothing left the call skips Redis: reads serve the loader's value,
   * `set` / `mset` resolve `false`, `delete` / `invalidateTag` reject. Default `500`.
   */
  timeoutMs?: number;
  /**
   * After Redis failed (unreachable or timed out), reads and writes skip Redis for this long,
   * in ms, so that they do not each wait for a timeout (`delete` and `invalidateTag` still try).
   * `0` turns the back-off off. Default `1000`.
   */
  offlineBackoffMs?: number;
  /** The in-process tier, kept coherent over pub/sub. `false` (default) for none. */
  l1?: L1Options | false;
  /**
   * Publish invalidation messages on writes (set, mset, delete, invalidateTag) so that
   * other instances' L1 tiers drop the keys. Must be on in every instance that
   * writes while any instance uses L1. Default `true`.
   */
  broadcastInvalidations?: boolean;
  /**
   * Number of slot buckets entries are spread over (see the guide). All
   * instances must agree. Default `64` on a cluster, `1` on standalone Redis.
   */
  buckets?: number;
  /**
   * A namespace of its own for this cache's entries, tags and invalidation messages (1 to
   * 1,024 UTF-8 bytes): two caches with different namespaces never see each other's keys, and
   * {@link Cache.clear} empties one namespace. Instances that share entries must agree on it.
   * Default none (the entries every cache without a namespace shares).
   */
  namespace?: string;
  /**
   * How this cache stores values: `serialize` / `deserialize` of the stored value (the
   * entry's header is the cache's own). For values JSON cannot round-trip (Dates, BigInt,
   * Maps), see the guide's recipe. Instances that share entries must agree on it. Default:
   * the connection's serializer (JSON unless the connection was given another).
   */
  serializer?: Serializer;
  /**
   * Longest the cache waits for a loader, in ms: at the limit the loader's `signal` aborts
   * with a `CacheLoadTimeoutError`, a `wrap` waiting for it rejects with that error and
   * nothing is stored (a background refresh is abandoned and reported as `refreshFailed`, the
   * old value stays). `0` waits as long as the loader takes. Default `0`.
   */
  loadTimeoutMs?: number;
}

/** Per-call options of `Cache.wrap`. */
export interface WrapOptions {
  /** Fresh TTL of this entry, in ms (the loader may still choose one with `setTtl`). Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** TTL if the loader finds nothing (`null` / `undefined`), in ms; `0` does not cache it. Default: the cache's `negativeTtlMs`. */
  negativeTtlMs?: number;
  /** Grace period of this entry, in ms. Default: the cache's `staleWhileRevalidateMs`. */
  staleWhileRevalidateMs?: number;
  /** XFetch factor of this entry. Default: the cache's `earlyRefreshBeta`. */
  earlyRefreshBeta?: number;
  /** Tags the stored entry carries, for `invalidateTag`. Default none. */
  tags?: readonly string[];
}

/** Per-call options of `Cache.set`. */
export interface SetOptions {
  /** Fresh TTL, in ms. Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** Grace period of this entry, in ms. Default: the cache's `staleWhileRevalidateMs`. */
  staleWhileRevalidateMs?: number;
  /** Tags the entry carries, for `invalidateTag`. Default none. */
  tags?: readonly string[];
}

/** One entry of `Cache.mset`. */
export interface MsetEntry {
  /** The cache key to store under. */
  key: string;
  /** The value to store, encoded with the cache's serializer. */
  value: unknown;
  /** Fresh TTL, in ms. Default: the cache's `ttlMs`. */
  ttlMs?: number;
}

/**
 * Counters since the cache was created. Every read counts once: a `wrap`, a `get`, and
 * each key of an `mget`.
 */
export interface CacheStats {
  /** Reads answered from the in-process L1 tier. */
  l1Hits: number;
  /** Reads answered from a fresh entry in Redis. */
  hits: number;
  /** `wrap` calls answered from an entry in its stale-while-revalidate grace period. */
  stale: number;
  /**
   * Reads that found no usable entry in L1 or Redis (absent, undecodable, not fresh for
   * `get` / `mget`, or Redis unavailable): a `wrap` then loads or waits for another instance's load.
   */
  misses: number;
  /** Loader calls that resolved (foreground and background). */
  loads: number;
  /** Background reloads started (stale entries and XFetch early refreshes). */
  refreshes: number;
  /** Failures the cache absorbed or reported: each `redisError`, `serializationError` and `refreshFailed` event. */
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

/** Every cache-wide option, defaulted and validated. */
export interface ResolvedCacheOptions {
  connection: RedisConnection;
  /** The defaults of every entry. */
  policy: EntryPolicy;
  /** The distributed load guard, or `undefined` when `distributedLock` is off. */
  guard: { ttlMs: number; waitMs: number } | undefined;
  timeoutMs: number;
  offlineBackoffMs: number;
  /** The L1 tier, or `undefined` without one. */
  l1: { maxEntries: number; ttlMs: number } | undefined;
  broadcast: boolean;
  buckets: number;
  /** The namespace, or `undefined` for none. */
  namespace: string | undefined;
  serializer: Serializer;
  /** `0`: no limit. */
  loadTimeoutMs: number;
}

/** Defaults and validates a cache's options in one place; throws {@link ValidationError}. */
export function resolveOptions(o: CacheOptions): ResolvedCacheOptions {
  if (o == null || typeof o !== 'object') throw new ValidationError('options', 'are required');
  const connection = toConnection(o.connection);
  assertPositiveInteger('ttlMs', o.ttlMs);
  const negativeTtlMs = o.negativeTtlMs ?? Math.min(o.ttlMs, 10_000);
  assertNonNegativeInteger('negativeTtlMs', negativeTtlMs);
  const graceMs = o.staleWhileRevalidateMs ?? 0;
  assertNonNegativeInteger('staleWhileRevalidateMs', graceMs);
  const beta = o.earlyRefreshBeta ?? 0;
  assertNonNegative('earlyRefreshBeta', beta);
  const lock = booleanOption('distributedLock', o.distributedLock, true);
  const lockTtlMs = o.lockTtlMs ?? 5000;
  assertPositiveInteger('lockTtlMs', lockTtlMs);
  const lockWaitMs = o.lockWaitMs ?? 2 * lockTtlMs;
  assertNonNegativeInteger('lockWaitMs', lockWaitMs);
  const timeoutMs = o.timeoutMs ?? 500;
  assertPositiveInteger('timeoutMs', timeoutMs);
  const offlineBackoffMs = o.offlineBackoffMs ?? 1000;
  assertNonNegativeInteger('offlineBackoffMs', offlineBackoffMs);
  const buckets = o.buckets ?? (connection.client.isCluster ? 64 : 1);
  assertPositiveInteger('buckets', buckets);
  let l1: ResolvedCacheOptions['l1'];
  if (o.l1 !== undefined && o.l1 !== false) {
    if (o.l1 === null || typeof o.l1 !== 'object') throw new ValidationError('l1', 'must be an object or false');
    l1 = { maxEntries: o.l1.maxEntries ?? 1000, ttlMs: o.l1.ttlMs ?? 5000 };
    assertPositiveInteger('l1.maxEntries', l1.maxEntries);
    assertPositiveInteger('l1.ttlMs', l1.ttlMs);
  }
  if (o.namespace !== undefined) assertKeyPart('namespace', o.namespace);
  const serializer = o.serializer === undefined ? connection.serializer : o.serializer;
  assertSerializer('serializer', serializer);
  const loadTimeoutMs = o.loadTimeoutMs ?? 0;
  assertNonNegativeInteger('loadTimeoutMs', loadTimeoutMs);
  return {
    connection,
    policy: { ttlMs: o.ttlMs, negativeTtlMs, graceMs, beta, tags: undefined },
    guard: lock ? { ttlMs: lockTtlMs, waitMs: lockWaitMs } : undefined,
    timeoutMs,
    offlineBackoffMs,
    l1,
    broadcast: booleanOption('broadcastInvalidations', o.broadcastInvalidations, true),
    buckets,
    namespace: o.namespace,
    serializer,
    loadTimeoutMs,
  };
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

import { EventEmitter } from 'node:events';
import type { RedisArg } from '../core/client/types.js';
import type { RedisConnection } from '../core/connection.js';
import { type RedisPatternsError, ValidationError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import { publishCommand, publishFlag } from '../core/pubsub.js';
import type { Serializer } from '../core/serializer.js';
import type { OperationContext, TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart } from '../core/validation.js';
import { clearKeys } from './clear.js';
import { type DecodedEntry, decodeEntry, encodeEntry } from './entry.js';
import type { CacheEvents, CacheOperation } from './events.js';
import { type InvalidationKind, invalidationMessage, LocalTier } from './l1.js';
import { CacheLayout, type EntryKeys, groupByBucket } from './layout.js';
import { callLoader, LoadContext, type Loader } from './load-context.js';
import { type GuardHold, LoadGuard, ownsGuard } from './load-guard.js';
import { ABSENT } from './lru.js';
import {
  type CacheOptions,
  type CacheStats,
  type EntryPolicy,
  type MsetEntry,
  resolveOptions,
  resolvePolicy,
  type SetOptions,
  type WrapOptions,
} from './options.js';
import { type Deadline, RemoteTier, typed } from './remote.js';
import { deleteScript, expireScript, invalidateScript, setScript } from './scripts.js';
import { type SweepChunk, sweepTag } from './tag-sweep.js';
import { instrument, NO_ATTRIBUTES } from './telemetry.js';

/** One load of one key, from the miss (or the refresh) to the store. */
interface Load<T> {
  readonly key: string;
  readonly keys: EntryKeys;
  readonly loader: Loader<T>;
  readonly policy: EntryPolicy;
  /** L1's generation when the read began: an invalidation since then keeps the value out of L1. */
  readonly generation: number;
  /** The caller's Redis deadline (a refresh's own). */
  readonly deadline: Deadline;
  /** The traced operation this load serves, while someone listens: gets the loader's time. */
  readonly context?: OperationContext | undefined;
}

const keyOf = (item: { key: string }): string => item.key;

/** The events that carry only a key. */
type KeyEventName = 'l1Hit' | 'hit' | 'stale' | 'miss' | 'refresh';

/**
 * Cache-aside over Redis with stampede protection, stale-while-revalidate,
 * XFetch early refresh, negative caching, tags and an optional in-process L1
 * tier kept coherent over pub/sub. Reports what happens as events (see {@link CacheEvents}).
 *
 * Fail-open: one call waits at most `timeoutMs` for Redis, all its commands together. When
 * Redis is slow or down, reads fall through to the loader and writes are skipped (`set`
 * resolves `false`); invalidations (`delete`, `invalidateTag`) reject, because silently
 * skipping them would leave stale data.
 *
 * @example
 * const cache = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 30_000 });
 * cache.on('redisError', ({ operation, error }) => log.warn({ operation, err: error }, 'cache degraded'));
 * const slots = await cache.wrap(`availability:${providerId}`, () => db.availability(providerId));
 */
export class Cache extends EventEmitter<CacheEvents> {
  /** The connection the cache runs on. */
  readonly connection: RedisConnection;
  /** How the cache stores values: its `serializer` option, or the connection's. */
  readonly serializer: Serializer;
  /** The cache's namespace, or `undefined` for none. */
  readonly namespace: string | undefined;
  private readonly layout: CacheLayout;
  private readonly loadTimeoutMs: number;
  // What every operation publishes besides its outcome: the namespace, a configured name.
  private readonly telemetry: TelemetryAttributes;
  // Loads nobody awaits (refreshes): close() aborts their signals, since it abandons them.
  private readonly backgroundLoads = new Set<LoadContext>();
  private readonly policy: EntryPolicy;
  private readonly remote: RemoteTier;
  private readonly guard: LoadGuard | undefined;
  private readonly l1: LocalTier | undefined;
  private readonly broadcast: boolean;
  private readonly instanceId = randomId(9);
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly refreshing = new Set<string>();
  // Stores sent after a load and not answered yet, by entry key. Reads and writes of that key
  // here wait for its store, invalidations for every store: a store whose script is missing on
  // the server (restart, failover, SCRIPT FLUSH) is sent again as EVAL after its NOSCRIPT reply,
  // so it could otherwise land after a command sent later and bring back a deleted value.
  private readonly storing = new Map<string, Promise<unknown>>();
  private readonly counters: CacheStats = { l1Hits: 0, hits: 0, stale: 0, misses: 0, loads: 0, refreshes: 0, errors: 0 };
  private closed = false;

  /** @throws `ValidationError` for bad options, before anything is sent. */
  constructor(options: CacheOptions) {
    super();
    const o = resolveOptions(options);
    this.connection = o.connection;
    this.serializer = o.serializer;
    this.namespace = o.namespace;
    this.loadTimeoutMs = o.loadTimeoutMs;
    this.telemetry = o.namespace === undefined ? NO_ATTRIBUTES : { cache: o.namespace };
    this.layout = new CacheLayout(o.connection.keys('cache'), o.buckets, o.namespace);
    this.policy = o.policy;
    this.broadcast = o.broadcast;
    this.remote = new RemoteTier(o.connection, o.timeoutMs, o.offlineBackoffMs, (error, operation, key) =>
      this.redisFailed(error, operation, key),
    );
    this.guard = o.guard && new LoadGuard(this.remote, o.guard.ttlMs, o.guard.waitMs, this.instanceId);
    this.l1 =
      o.l1 &&
      new LocalTier(o.connection, this.layout.channels, this.instanceId, o.l1.maxEntries, o.l1.ttlMs, (error) =>
        this.redisFailed(typed(error), 'subscribe', undefined),
      );
  }

  /**
   * Resolves once no write this cache sent in the background is in flight: the store of a
   * loaded value (a `wrap` miss returns its value without waiting for it), a refresh's store,
   * a late write. Each is bounded by `timeoutMs`. Await it where something outside this
   * cache must see the write at once (a count of commands, a read by another instance or
   * process); this cache's own reads, writes and invalidations already wait for it.
   */
  settled(): Promise<void> {
    return this.remote.drain();
  }

  /**
   * Resolves once the L1 tier listens for other instances' invalidations and holds entries
   * (or its subscription failed: it retries on later reads); at once without L1. Optional:
   * until then L1 simply holds nothing, so no read is ever served a value whose invalidation
   * was missed. Await it where the first reads should already be L1 hits (tests, benchmarks).
   * While Redis is unreachable it waits for Redis.
   */
  async ready(): Promise<void> {
    await this.l1?.ready();
  }

  /**
   * Returns the cached value of `key`, or loads it with `loader`, stores it and
   * returns it. Concurrent calls for one key share one loader call in this
   * process and, with `distributedLock`, across instances.
   *
   * The loader receives a {@link LoaderContext}: a `signal` that aborts when the cache stops
   * waiting (`loadTimeoutMs`), `setTtl(ms)` to choose this value's TTL, `skip()` not to cache it.
   * A loader error rejects this call (nothing is cached), and so does a loader that outlives
   * `loadTimeoutMs` (`CacheLoadTimeoutError`); a Redis problem never does: the call waits at
   * most `timeoutMs` for Redis in all, then serves the loader's value.
   *
   * @throws `ValidationError` for a bad key, loader or option, before anything is sent.
   */
  wrap<T>(key: string, loader: Loader<T>, options?: WrapOptions): Promise<T> {
    assertKeyPart('key', key);
    if (typeof loader !== 'function') throw new ValidationError('loader', 'must be a function');
    const policy = resolvePolicy(this.policy, options);
    if (!instrument.enabled) return this.wrapNow(key, loader, policy, undefined);
    return instrument.trace('wrap', this.telemetry, key, (context) => this.wrapNow(key, loader, policy, context));
  }

  private wrapNow<T>(key: string, loader: Loader<T>, policy: EntryPolicy, context: OperationContext | undefined): Promise<T> {
    const local = this.fromL1(key);
    if (local !== ABSENT) {
      if (context) context.outcome = 'l1-hit';
      return Promise.resolve(local as T);
    }
    const pending = this.inflight.get(key);
    if (pending) {
      // Served by another call's read (and load) of the same key.
      if (context) context.outcome = 'miss';
      return pending as Promise<T>;
    }
    const p = this.readThrough(key, loader, policy, context).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /**
   * The fresh value of `key`; `null` for a cached "not found" (a loader that returned `null`
   * or `undefined`); `undefined` on a miss, a stale entry, or when Redis is unavailable
   * (fail-open).
   */
  async get<T = unknown>(key: string): Promise<T | null | undefined> {
    assertKeyPart('key', key);
    if (!instrument.enabled) return this.getNow(key, undefined);
    return instrument.trace('get', this.telemetry, key, (context) => this.getNow(key, context));
  }

  private async getNow<T>(key: string, context: OperationContext | undefined): Promise<T | null | undefined> {
    const local = this.fromL1(key);
    if (local !== ABSENT) {
      if (context) context.outcome = 'l1-hit';
      return (local ?? null) as T | null;
    }
    const l1 = this.l1;
    const generation = l1?.generation ?? 0;
    const entry = await this.read(key, this.layout.of(key), this.remote.deadline());
    if (entry === undefined || entry.freshUntil <= Date.now()) {
      this.counters.misses++;
      this.tell('miss', key);
      if (context) context.outcome = 'miss';
      return undefined;
    }
    this.counters.hits++;
    this.tell('hit', key);
    if (context) context.outcome = 'hit';
    l1?.fill(key, entry.value, entry.freshUntil, entry.tags, generation);
    return (entry.value ?? null) as T | null;
  }

  /**
   * Stores `value` under `key` with its TTL (and tags) in one round trip and
   * tells other instances' L1 tiers to drop the key. Resolves `false` when Redis
   * was unavailable and the write was skipped.
   *
   * @throws `ValidationError` for bad input, `SerializationError` for a value the
   * serializer cannot represent, before anything is sent.
   */
  async set(key: string, value: unknown, options?: SetOptions): Promise<boolean> {
    assertKeyPart('key', key);
    const policy = resolvePolicy(this.policy, options);
    const freshUntil = Date.now() + policy.ttlMs;
    const encoded = encodeEntry(this.serializer, value, freshUntil, 0, policy.tags);
    const keys = this.layout.of(key);
    const l1 = this.l1;
    l1?.invalidate([key]);
    const generation = l1?.generation ?? 0;
    return instrument.trace('set', this.telemetry, key, async (context) => {
      const stored = await this.setNow(key, value, keys, encoded, freshUntil, policy, generation);
      if (context) context.outcome = stored ? 'stored' : 'skipped';
      return stored;
    });
  }

  private async setNow(
    key: string,
    value: unknown,
    keys: EntryKeys,
    encoded: string,
    freshUntil: number,
    policy: EntryPolicy,
    generation: number,
  ): Promise<boolean> {
    const l1 = this.l1;
    const deadline = this.remote.deadline();
    const storing = this.storing.get(keys.entry);
    if (storing !== undefined) await storing;
    if (!this.remote.usable(deadline)) return false;
    const indexes = policy.tags?.map((t) => this.layout.tagIndex(keys.bucket, t)) ?? [];
    try {
      const [channel, message, flag] = await this.announce(keys.channel, 'k', [key], deadline, 'set');
      await this.remote.run(
        setScript,
        [keys.entry, keys.guard, ...indexes],
        [encoded, policy.ttlMs + policy.graceMs, '1', channel, message, flag],
        deadline,
        'set',
        key,
      );
    } catch {
      return false; // reported by the remote tier
    }
    l1?.fill(key, value, freshUntil, policy.tags, generation);
    return true;
  }

  /**
   * Deletes entries (one round trip per slot bucket involved; one on standalone)
   * and tells other instances' L1 tiers. Rejects when Redis is unavailable or does not
   * answer within `timeoutMs`: an invalidation must not be skipped silently.
   */
  async delete(keys: string | readonly string[]): Promise<void> {
    const list = typeof keys === 'string' ? [keys] : [...keys];
    for (const k of list) assertKeyPart('key', k);
    if (list.length === 0) return;
    this.l1?.invalidate(list);
    const deadline = this.remote.deadline();
    const items = list.map((key) => ({ key, keys: this.layout.of(key) }));
    await instrument.trace('delete', this.telemetry, list.length === 1 ? list[0] : undefined, async () => {
      if (this.storing.size !== 0) await this.afterStores(items.map((i) => i.keys.entry));
      await Promise.all(
        groupByBucket(items, (i) => i.keys.bucket).map(async (group) => {
          const redisKeys = group.flatMap((i) => [i.keys.entry, i.keys.guard]);
          const announcement = await this.announce(group[0].keys.channel, 'k', group.map(keyOf), deadline, 'delete');
          return this.remote.run(deleteScript, redisKeys, announcement, deadline, 'delete');
        }),
      );
    });
  }

  /**
   * Deletes every entry carrying `tag`, on every slot bucket, and tells other
   * instances' L1 tiers. Cost: one `ZRANGE` per bucket plus one script per bucket
   * that lists tagged entries (per bucket atomic; across buckets not: see the guide).
   * Resolves the number of entries deleted; rejects when Redis is unavailable or the whole
   * invalidation does not finish within `timeoutMs`.
   */
  async invalidateTag(tag: string): Promise<number> {
    assertKeyPart('tag', tag);
    return this.sweep(
      'invalidateTag',
      tag,
      (deadline) => (keys, n) => this.remote.run(invalidateScript, keys, [n], deadline, 'invalidateTag'),
    );
  }

  /**
   * Marks every entry carrying `tag` stale instead of deleting it: `wrap` serves each within
   * what is left of its grace period, at most this cache's `staleWhileRevalidateMs`, while one
   * background refresh runs (one across instances), so readers never wait for the loader; `get`
   * reads them as misses. Without grace (this cache's or the entry's) an entry is deleted, as
   * by {@link Cache.invalidateTag}. Other instances' L1 tiers drop the tag. Same cost as
   * `invalidateTag`: one `ZRANGE` per bucket plus one script per bucket that lists tagged
   * entries (per bucket atomic). Resolves the number of fresh entries it expired; rejects when
   * Redis is unavailable or the whole call does not finish within `timeoutMs`.
   */
  async expireTag(tag: string): Promise<number> {
    assertKeyPart('tag', tag);
    // The cache's own grace bounds the estimate the script makes of each entry's (see expire.lua).
    const graceMs = this.policy.graceMs;
    return this.sweep(
      'expireTag',
      tag,
      (deadline) => (keys, n) => this.remote.run(expireScript, keys, [n, graceMs], deadline, 'expireTag'),
    );
  }

  /**
   * Deletes every entry, load guard and tag index of this cache's namespace (without a
   * namespace: of every cache without one), with `SCAN` on every primary and one `UNLINK` per
   * slot bucket per batch found, and tells other instances' L1 tiers to empty. An admin call,
   * never for a hot path: its cost grows with the whole key space of the Redis deployment,
   * and it has no overall time limit (each command has `timeoutMs`, each `SCAN` the
   * connection's `commandTimeoutMs`). Entries written while it runs may survive it. Resolves
   * the number of keys deleted; rejects when Redis is unavailable or too slow.
   */
  async clear(): Promise<number> {
    this.l1?.clear();
    return instrument.trace('clear', this.telemetry, undefined, async () => {
      if (this.storing.size !== 0) await this.afterStores();
      const deleted = await clearKeys(this.connection, this.layout, this.remote);
      // Reads that overlapped the deletion may have filled L1 with a value just deleted.
      this.l1?.clear();
      if (this.broadcast) await this.broadcastAll('c', '', this.remote.deadline(), 'clear');
      return deleted;
    });
  }

  /**
   * Fresh values of several keys: one `MGET` per slot bucket involved (one on
   * standalone), all in flight at once; L1 answers first. Like {@link Cache.get}: `null` for
   * a cached "not found", `undefined` for misses, stale entries and when Redis is unavailable.
   */
  async mget<T = unknown>(keys: readonly string[]): Promise<(T | null | undefined)[]> {
    if (!Array.isArray(keys)) throw new ValidationError('keys', 'must be an array of strings');
    for (const k of keys) assertKeyPart('key', k);
    return instrument.trace('mget', this.telemetry, undefined, () => this.mgetNow<T>(keys));
  }

  private async mgetNow<T>(keys: readonly string[]): Promise<(T | null | undefined)[]> {
    const out = new Array<T | null | undefined>(keys.length);
    const l1 = this.l1;
    const generation = l1?.generation ?? 0;
    const misses: { index: number; key: string; keys: EntryKeys }[] = [];
    keys.forEach((key: string, index) => {
      const local = this.fromL1(key);
      if (local === ABSENT) misses.push({ index, key, keys: this.layout.of(key) });
      else out[index] = (local ?? null) as T | null;
    });
    if (misses.length === 0) return out;
    const deadline = this.remote.deadline();
    if (this.storing.size !== 0) await this.afterStores(misses.map((m) => m.keys.entry));
    if (this.remote.usable(deadline)) {
      await Promise.all(
        groupByBucket(misses, (m) => m.keys.bucket).map(async (group) => {
          const entryKeys = group.map((m) => m.keys.entry);
          const reply = await this.remote.send(['MGET', ...entryKeys], entryKeys[0], deadline, 'mget').catch(() => undefined);
          if (!Array.isArray(reply)) return; // failed: reported by the remote tier, the keys stay misses
          group.forEach((m, j) => {
            const raw: unknown = reply[j];
            const entry = raw == null ? undefined : this.decode(String(raw), m.key);
            if (entry === undefined || entry.freshUntil <= Date.now()) return;
            out[m.index] = (entry.value ?? null) as T | null;
            l1?.fill(m.key, entry.value, entry.freshUntil, entry.tags, generation);
          });
        }),
      );
    }
    for (const m of misses) {
      const hit = out[m.index] !== undefined;
      if (hit) this.counters.hits++;
      else this.counters.misses++;
      this.tell(hit ? 'hit' : 'miss', m.key);
    }
    return out;
  }

  /**
   * Stores several untagged entries: one pipeline of `SET ... PX` per slot bucket
   * (one round trip on standalone, the invalidation message included). Resolves
   * `false` when Redis was unavailable and some writes were skipped.
   *
   * @throws `ValidationError` / `SerializationError` for bad input, before anything is sent.
   */
  async mset(entries: readonly MsetEntry[]): Promise<boolean> {
    if (!Array.isArray(entries)) throw new ValidationError('entries', 'must be an array');
    const now = Date.now();
    const items = entries.map((e: MsetEntry) => {
      if (e === null || typeof e !== 'object') throw new ValidationError('entries[]', 'must be { key, value, ttlMs? }');
      assertKeyPart('key', e.key);
      const policy = e.ttlMs === undefined ? this.policy : resolvePolicy(this.policy, { ttlMs: e.ttlMs });
      const keys = this.layout.of(e.key);
      const encoded = encodeEntry(this.serializer, e.value, now + policy.ttlMs, 0, undefined);
      const command: RedisArg[] = ['SET', keys.entry, encoded, 'PX', policy.ttlMs + policy.graceMs];
      return { key: e.key, keys, command };
    });
    this.l1?.invalidate(items.map((i) => i.key));
    if (items.length === 0) return true;
    return instrument.trace('mset', this.telemetry, undefined, async (context) => {
      const deadline = this.remote.deadline();
      if (this.storing.size !== 0) await this.afterStores(items.map((i) => i.keys.entry));
      const written =
        this.remote.usable(deadline) &&
        (
          await Promise.all(
            groupByBucket(items, (i) => i.keys.bucket).map(async (group) => {
              const commands = group.map((i) => i.command);
              try {
                if (this.broadcast) {
                  const [channel, message, flag] = await this.announce(group[0].keys.channel, 'k', group.map(keyOf), deadline, 'mset');
                  commands.push(publishCommand(flag === '1', channel, message));
                }
                await this.remote.pipeline(commands, group[0].keys.entry, deadline, 'mset');
                return true;
              } catch {
                return false; // reported by the remote tier
              }
            }),
          )
        ).every(Boolean);
      if (context) context.outcome = written ? 'stored' : 'skipped';
      return written;
    });
  }

  /** Counters since creation (a copy). */
  stats(): CacheStats {
    return { ...this.counters };
  }

  /**
   * Releases what this cache holds: stops listening for invalidations, empties L1, starts no
   * more background work (refreshes, late stores) and waits for the background commands in
   * flight (each bounded by `timeoutMs`); a background loader still running is abandoned (its
   * value is not stored, its `signal` aborts). Afterwards nothing of the cache keeps the
   * process alive. Calls made after `close()` still read and write Redis, without L1 or
   * background refreshes. The connection stays open: it is yours (its pub/sub connection
   * closes with `connection.close()`).
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const load of this.backgroundLoads) load.abort();
    this.remote.close();
    await Promise.all([this.l1?.close(), this.remote.drain()]);
  }

  // ---- read path ------------------------------------------------------------

  private async readThrough<T>(key: string, loader: Loader<T>, policy: EntryPolicy, context: OperationContext | undefined): Promise<T> {
    const generation = this.l1?.generation ?? 0;
    const keys = this.layout.of(key);
    const deadline = this.remote.deadline();
    const entry = await this.read(key, keys, deadline);
    if (entry !== undefined) {
      const now = Date.now();
      if (now < entry.freshUntil) {
        this.counters.hits++;
        this.tell('hit', key);
        if (context) context.outcome = 'hit';
        if (policy.beta > 0 && now - entry.loadMs * policy.beta * Math.log(Math.random()) >= entry.freshUntil) {
          this.refreshInBackground(key, keys, loader, policy);
        }
        this.l1?.fill(key, entry.value, entry.freshUntil, entry.tags, generation);
        return entry.value as T;
      }
      // Still in Redis but no longer fresh: inside the grace period (Redis expires it after).
      this.counters.stale++;
      this.tell('stale', key);
      if (context) context.outcome = 'stale';
      this.refreshInBackground(key, keys, loader, policy);
      return entry.value as T;
    }
    this.counters.misses++;
    this.tell('miss', key);
    if (context) context.outcome = 'miss';
    return this.loadGuarded({ key, keys, loader, policy, generation, deadline, context });
  }

  /** One `GET`; `undefined` on a miss and when Redis is unavailable or out of time. */
  private async read(key: string, keys: EntryKeys, deadline: Deadline): Promise<DecodedEntry | undefined> {
    const storing = this.storing.get(keys.entry);
    if (storing !== undefined) await storing;
    if (!this.remote.usable(deadline)) return undefined;
    let raw: unknown;
    try {
      raw = await this.remote.send(['GET', keys.entry], keys.entry, deadline, 'get', key);
    } catch {
      return undefined; // reported by the remote tier
    }
    return raw == null ? undefined : this.decode(String(raw), key);
  }

  private async loadGuarded<T>(load: Load<T>): Promise<T> {
    const guard = this.guard;
    if (guard === undefined || !this.remote.usable(load.deadline)) return this.loadAndStore(load, undefined);
    const { key, keys } = load;
    const ttlMs = Math.min(guard.ttlMs, load.policy.ttlMs);
    // `undefined`: Redis failed, so no guard (the caller loads by itself).
    const claimed = await guard.claim(keys, ttlMs, load.deadline, key);
    if (claimed !== 'held') return this.loadAndStore(load, claimed);
    const outcome = await guard.waitForHolder(keys, ttlMs, load.deadline, key);
    if (outcome.state === 'stored') {
      const entry = this.decode(outcome.entry, key);
      if (entry !== undefined) {
        this.l1?.fill(key, entry.value, entry.freshUntil, entry.tags, load.generation);
        return entry.value as T;
      }
    }
    return this.loadAndStore(load, outcome.state === 'claimed' ? outcome.hold : undefined);
  }

  private async loadAndStore<T>(load: Load<T>, hold: GuardHold | undefined): Promise<T> {
    const { key } = load;
    const context = new LoadContext();
    const background = load.deadline.background;
    if (background) this.backgroundLoads.add(context);
    const started = performance.now();
    let value: T;
    try {
      value = await callLoader(load.loader, context, this.loadTimeoutMs);
    } catch (err) {
      // Stryker disable next-line OptionalChaining: equivalent, a hold is owned only where the guard exists
      if (ownsGuard(hold)) this.guard?.release(load.keys, key);
      throw err;
    } finally {
      if (background) this.backgroundLoads.delete(context);
    }
    const loadMs = performance.now() - started;
    // The loader's time is not Redis time: the store gets what the call had left before it.
    load.deadline.extend(loadMs);
    this.counters.loads++;
    if (this.listenerCount('load') !== 0) this.emit('load', { key, durationMs: loadMs });
    if (load.context) load.context.measurements = { loadMs };
    if (context.skipped) {
      // Not cached: whoever waits on the guard loads by itself rather than waiting for nothing.
      // Stryker disable next-line OptionalChaining: equivalent, a hold is owned only where the guard exists
      if (ownsGuard(hold)) this.guard?.release(load.keys, key);
      return value;
    }
    const chosen = context.ttlMs;
    const policy = chosen === undefined ? load.policy : { ...load.policy, ttlMs: chosen, negativeTtlMs: chosen };
    this.store(chosen === undefined ? load : { ...load, policy }, value, loadMs, hold);
    const ttl = value == null ? policy.negativeTtlMs : policy.ttlMs;
    if (ttl > 0) this.l1?.fill(key, value, Date.now() + ttl, policy.tags, load.generation);
    return value;
  }

  /**
   * Writes a loaded value and releases the guard in the same round trip, in the background
   * under its own `timeoutMs`; never throws (a cache write failure must not fail the read).
   */
  private store(load: Load<unknown>, value: unknown, loadMs: number, hold: GuardHold | undefined): void {
    if (!this.remote.online()) return;
    const { key, keys, policy } = load;
    const negative = value == null;
    const ttl = negative ? policy.negativeTtlMs : policy.ttlMs;
    const owned = ownsGuard(hold);
    // Stryker disable next-line StringLiteral: equivalent, written only with ttl > 0, after the encoding replaced it
    let encoded = '';
    if (ttl > 0) {
      try {
        encoded = encodeEntry(this.serializer, value, Date.now() + ttl, loadMs, policy.tags);
      } catch (error) {
        this.serializationFailed('encode', key, error);
        // Stryker disable next-line OptionalChaining: equivalent, a hold is owned only where the guard exists
        if (owned) this.guard?.release(keys, key);
        return;
      }
    } else if (!owned) return;
    // Sent now, awaited by nobody but close(): the caller has its value without another round
    // trip, and this cache's next command on the key waits for the write (see `storing`). The
    // guard is released with it only while this caller surely still holds it.
    if (this.closed) return;
    const release = owned && this.remote.usable(load.deadline);
    const written = this.write(key, keys, policy, ttl === 0 ? undefined : encoded, negative ? ttl : ttl + policy.graceMs, release);
    const sent: Promise<unknown> = written.then(
      () => this.stored(keys.entry, sent),
      () => this.stored(keys.entry, sent),
    );
    this.storing.set(keys.entry, sent);
  }

  /**
   * The command(s) of {@link Cache.store}: the entry (`undefined`: none, only the guard to free)
   * with `px`, and the guard's release. A late write never releases the guard: by the time it
   * lands the guard may be someone else's.
   */
  private write(
    key: string,
    keys: EntryKeys,
    policy: EntryPolicy,
    encoded: string | undefined,
    px: number,
    release: boolean,
  ): Promise<unknown> {
    const deadline = this.remote.deadline(true);
    if (encoded === undefined) return this.remote.send(['DEL', keys.guard], keys.guard, deadline, 'store', key);
    if (!policy.tags) {
      const set = ['SET', keys.entry, encoded, 'PX', px];
      if (!release) return this.remote.send(set, keys.entry, deadline, 'store', key);
      // node-redis writes the commands of one tick together: two plain commands, the least Redis
      // time. ioredis builds a pipeline at several times the cost of one command: the script
      // below, which Redis runs in no more time than the pipeline.
      if (this.connection.client.driver === 'node-redis')
        return this.remote.pipeline([set, ['DEL', keys.guard]], keys.entry, deadline, 'store', key);
    }
    const indexes = policy.tags ? policy.tags.map((t) => this.layout.tagIndex(keys.bucket, t)) : [];
    // No message: other instances' L1 cannot hold this key fresh, since it was missing from Redis.
    const flag = release ? '1' : '0';
    return this.remote.run(setScript, [keys.entry, keys.guard, ...indexes], [encoded, px, flag, '', '', '0'], deadline, 'store', key);
  }

  /** Resolves once the stores in flight of `entries` (without `entries`: all of them) settled. */
  private async afterStores(entries?: readonly string[]): Promise<void> {
    await Promise.all(entries ? entries.map((entry) => this.storing.get(entry)) : this.storing.values());
  }

  /** Forgets the store of `entry` once it settled, unless a newer one replaced it. */
  private stored(entry: string, sent: Promise<unknown>): void {
    if (this.storing.get(entry) === sent) this.storing.delete(entry);
  }

  private refreshInBackground<T>(key: string, keys: EntryKeys, loader: Loader<T>, policy: EntryPolicy): void {
    if (this.closed || this.refreshing.has(key) || !this.remote.online()) return;
    this.refreshing.add(key);
    // Its own deadline, which close() waits for: nobody awaits a refresh.
    const load = { key, keys, loader, policy, generation: this.l1?.generation ?? 0, deadline: this.remote.deadline(true) };
    this.refresh(load).finally(() => this.refreshing.delete(key));
  }

  private async refresh<T>(load: Load<T>): Promise<void> {
    const { key, policy } = load;
    let hold: GuardHold | undefined;
    const guard = this.guard;
    if (guard !== undefined) {
      const claimed = await guard.claim(load.keys, Math.min(guard.ttlMs, policy.ttlMs + policy.graceMs), load.deadline, key);
      // Redis failed (reported), or another instance is refreshing it.
      if (claimed === undefined || claimed === 'held') return;
      hold = claimed;
    }
    // Closed while claiming: the guard expires by itself.
    if (this.closed) return;
    this.counters.refreshes++;
    this.tell('refresh', key);
    try {
      await this.loadAndStore(load, hold);
    } catch (error) {
      // Abandoned by close(): nobody is told about work the cache gave up on.
      if (this.closed) return;
      this.counters.errors++;
      if (this.listenerCount('refreshFailed') !== 0) this.emit('refreshFailed', { key, error });
    }
  }

  // ---- helpers ----------------------------------------------------------------

  /** `invalidateTag` / `expireTag`: the tag's entries on every bucket, then the message for other L1 tiers. */
  private sweep(operation: 'invalidateTag' | 'expireTag', tag: string, chunk: (deadline: Deadline) => SweepChunk): Promise<number> {
    this.l1?.invalidateTag(tag);
    const deadline = this.remote.deadline();
    return instrument.trace(operation, this.telemetry, tag, async () => {
      if (this.storing.size !== 0) await this.afterStores();
      const count = await sweepTag(this.remote, this.layout, tag, chunk(deadline), deadline, operation);
      if (this.broadcast) await this.broadcastAll('t', tag, deadline, operation);
      return count;
    });
  }

  /**
   * What announces an invalidation on a bucket's `channel`: the channel, the message and the
   * publish flag of its scripts (`SPUBLISH` or `PUBLISH`); two empty strings without broadcast.
   */
  private async announce(
    channel: string,
    kind: InvalidationKind,
    what: string | readonly string[],
    deadline: Deadline,
    operation: CacheOperation,
  ): Promise<[channel: string, message: string, flag: '0' | '1']> {
    if (!this.broadcast) return ['', '', '0'];
    const sharded = await this.remote.shardedPubSub(deadline, operation);
    const message = invalidationMessage(this.instanceId, kind, typeof what === 'string' ? what : JSON.stringify(what));
    return [channel, message, publishFlag(sharded)];
  }

  /** Tells every other instance's L1 tier (they listen on every bucket's channel: the first reaches them all). */
  private async broadcastAll(kind: 't' | 'c', what: string, deadline: Deadline, operation: CacheOperation): Promise<void> {
    const [channel, message, flag] = await this.announce(this.layout.channels[0] as string, kind, what, deadline, operation);
    await this.remote.send(publishCommand(flag === '1', channel, message), channel, deadline, operation);
  }

  private decode(raw: string, key: string): DecodedEntry | undefined {
    try {
      return decodeEntry(this.serializer, raw);
    } catch (error) {
      this.serializationFailed('decode', key, error);
      return undefined;
    }
  }

  /** The value of `key` in L1, counted and reported as an L1 hit, or {@link ABSENT}. */
  private fromL1(key: string): unknown {
    const l1 = this.l1;
    if (l1 === undefined) return ABSENT;
    const local = l1.get(key);
    if (local !== ABSENT) {
      this.counters.l1Hits++;
      this.tell('l1Hit', key);
    }
    return local;
  }

  /** Emits a key-only event, allocating nothing when nobody listens. */
  private tell(name: KeyEventName, key: string): void {
    if (this.listenerCount(name) !== 0) this.emit(name, { key });
  }

  private redisFailed(error: RedisPatternsError, operation: CacheOperation, key: string | undefined): void {
    this.counters.errors++;
    if (this.listenerCount('redisError') === 0) return;
    this.emit('redisError', key === undefined ? { operation, error } : { operation, key, error });
  }

  private serializationFailed(operation: 'encode' | 'decode', key: string, error: unknown): void {
    this.counters.errors++;
    if (this.listenerCount('serializationError') !== 0) this.emit('serializationError', { key, operation, error });
  }
}

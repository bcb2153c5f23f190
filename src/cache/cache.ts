import { backoffDelay, sleep } from '../core/async.js';
import { type RedisConnection, toConnection } from '../core/connection.js';
import { CommandTimeoutError, RedisUnavailableError, ValidationError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import { assertKeyPart } from '../core/validation.js';
import { type DecodedEntry, decodeEntry, encodeEntry } from './entry.js';
import { CacheLayout, type EntryKeys } from './layout.js';
import { ABSENT, Lru } from './lru.js';
import {
  type CacheEvent,
  type CacheOptions,
  type CacheStats,
  type EntryPolicy,
  type MsetEntry,
  resolvePolicy,
  type SetOptions,
  validateCacheOptions,
  type WrapOptions,
} from './options.js';
import { claimScript, deleteScript, invalidateScript, setScript } from './scripts.js';

// Tag invalidation passes entry and guard keys to one script; chunks keep the argument list reasonable.
const INVALIDATE_CHUNK = 256;

/** A load guard this instance took, and when (by its own monotonic clock) the guard's TTL runs out. */
interface Guard {
  expiresAt: number;
}

// Releasing is an unconditional DEL, so it is done only while the guard's TTL has surely not run
// out (then nobody else can hold it); a late loader leaves the guard to expire by itself.
function ownsGuard(guard: Guard | undefined): boolean {
  return guard !== undefined && performance.now() < guard.expiresAt - 10;
}

/** Produces the value on a miss. May return `null`/`undefined` ("not found": cached as a negative entry). */
export type Loader<T> = () => T | Promise<T>;

/**
 * Cache-aside over Redis with stampede protection, stale-while-revalidate,
 * XFetch early refresh, negative caching, tags and an optional in-process L1
 * tier kept coherent over pub/sub.
 *
 * Fail-open: when Redis is slow or down, reads fall through to the loader and
 * writes are skipped (`set` resolves `false`); invalidations (`delete`,
 * `invalidateTag`) reject, because silently skipping them would leave stale data.
 *
 * @example
 * const cache = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 30_000 });
 * const slots = await cache.wrap(`availability:${providerId}`, () => db.availability(providerId));
 */
export class Cache {
  /** The connection the cache runs on. */
  readonly connection: RedisConnection;
  private readonly layout: CacheLayout;
  private readonly policy: EntryPolicy;
  private readonly lockEnabled: boolean;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly timeoutMs: number;
  private readonly offlineBackoffMs: number;
  private readonly broadcast: boolean;
  private readonly l1: Lru | undefined;
  private readonly l1TtlMs: number;
  private readonly onEvent: ((event: CacheEvent) => void) | undefined;
  private readonly instanceId = randomId(9);
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly refreshing = new Set<string>();
  private readonly counters: CacheStats = { l1Hits: 0, hits: 0, stale: 0, misses: 0, loads: 0, refreshes: 0, errors: 0 };
  // Bumped by every invalidation this instance sees; a read that started before one never fills L1.
  private generation = 0;
  private offlineUntil = 0;
  private subscription: Promise<void> | undefined;
  private readonly onMessage = (message: string) => this.receive(message);

  constructor(options: CacheOptions) {
    validateCacheOptions(options);
    this.connection = toConnection(options.connection);
    this.layout = new CacheLayout(this.connection.keys('cache'), options.buckets ?? (this.connection.client.isCluster ? 64 : 1));
    this.policy = {
      ttlMs: options.ttlMs,
      negativeTtlMs: options.negativeTtlMs ?? Math.min(options.ttlMs, 10_000),
      graceMs: options.staleWhileRevalidateMs ?? 0,
      beta: options.earlyRefreshBeta ?? 0,
      tags: undefined,
    };
    this.lockEnabled = options.distributedLock ?? true;
    this.lockTtlMs = options.lockTtlMs ?? 5000;
    this.lockWaitMs = options.lockWaitMs ?? 2 * this.lockTtlMs;
    this.timeoutMs = options.timeoutMs ?? 500;
    this.offlineBackoffMs = options.offlineBackoffMs ?? 1000;
    this.broadcast = options.broadcastInvalidations ?? true;
    this.onEvent = options.onEvent;
    if (options.l1) {
      this.l1 = new Lru(options.l1.maxEntries ?? 1000);
      this.l1TtlMs = options.l1.ttlMs ?? 5000;
      this.subscription = this.subscribe();
    } else {
      this.l1TtlMs = 0;
    }
  }

  /**
   * Resolves once the L1 tier listens for other instances' invalidations (at
   * once without L1). Until then this instance's L1 may miss remote invalidations.
   */
  async ready(): Promise<void> {
    await this.subscription;
  }

  /**
   * Returns the cached value of `key`, or loads it with `loader`, stores it and
   * returns it. Concurrent calls for one key share one loader call in this
   * process and, with `distributedLock`, across instances.
   *
   * A loader error rejects this call (nothing is cached); a Redis problem never does.
   */
  wrap<T>(key: string, loader: Loader<T>, options?: WrapOptions): Promise<T> {
    assertKeyPart('key', key);
    if (typeof loader !== 'function') throw new ValidationError('loader', 'must be a function');
    const policy = resolvePolicy(this.policy, options);
    if (this.l1) {
      const local = this.l1.get(key, Date.now());
      if (local !== ABSENT) {
        this.counters.l1Hits++;
        this.onEvent?.({ type: 'l1-hit', key });
        return Promise.resolve(local as T);
      }
    }
    const pending = this.inflight.get(key);
    if (pending) return pending as Promise<T>;
    const p = this.readThrough(key, loader, policy).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Alias of {@link Cache.wrap}. */
  getOrLoad<T>(key: string, loader: Loader<T>, options?: WrapOptions): Promise<T> {
    return this.wrap(key, loader, options);
  }

  /**
   * The fresh value of `key`, or `undefined` on a miss, a stale entry, or when
   * Redis is unavailable (fail-open). A cached "not found" reads as `null`.
   */
  async get<T = unknown>(key: string): Promise<T | undefined> {
    assertKeyPart('key', key);
    if (this.l1) {
      const local = this.l1.get(key, Date.now());
      if (local !== ABSENT) return local as T;
    }
    const gen = this.generation;
    const entry = await this.read(key, this.layout.of(key));
    if (!entry || entry.freshUntil <= Date.now()) return undefined;
    this.fillL1(key, entry.value, entry.freshUntil, entry.tags, gen);
    return entry.value as T;
  }

  /**
   * Stores `value` under `key` with its TTL (and tags) in one round trip and
   * tells other instances' L1 tiers to drop the key. Resolves `false` when Redis
   * was unavailable and the write was skipped. Throws before sending anything
   * for bad input, including a value the serializer cannot represent.
   */
  async set(key: string, value: unknown, options?: SetOptions): Promise<boolean> {
    assertKeyPart('key', key);
    const policy = resolvePolicy(this.policy, options);
    const freshUntil = Date.now() + policy.ttlMs;
    const encoded = encodeEntry(this.connection.serializer, value, freshUntil, 0, policy.tags);
    const keys = this.layout.of(key);
    this.localInvalidate([key]);
    if (!this.online()) return false;
    const idx = policy.tags?.map((t) => this.layout.tagIndex(keys.bucket, t)) ?? [];
    const [channel, message] = this.broadcast ? [this.layout.channel, this.message('k', JSON.stringify([key]))] : ['', ''];
    try {
      await this.guarded(
        this.connection.run(setScript, [keys.entry, keys.guard, ...idx], [encoded, policy.ttlMs + policy.graceMs, '1', channel, message]),
        'SET',
      );
    } catch (err) {
      this.failed(err, 'set', key);
      return false;
    }
    this.fillL1(key, value, freshUntil, policy.tags, this.generation);
    return true;
  }

  /**
   * Deletes entries (one round trip per slot bucket involved; one on standalone)
   * and tells other instances' L1 tiers. Rejects when Redis is unavailable: an
   * invalidation must not be skipped silently.
   */
  async delete(keys: string | readonly string[]): Promise<void> {
    const list = typeof keys === 'string' ? [keys] : [...keys];
    for (const k of list) assertKeyPart('key', k);
    if (list.length === 0) return;
    this.localInvalidate(list);
    const byBucket = new Map<string, { redisKeys: string[]; userKeys: string[] }>();
    for (const k of list) {
      const ek = this.layout.of(k);
      let group = byBucket.get(ek.bucket);
      if (!group) {
        group = { redisKeys: [], userKeys: [] };
        byBucket.set(ek.bucket, group);
      }
      group.redisKeys.push(ek.entry, ek.guard);
      group.userKeys.push(k);
    }
    await this.reported(
      'delete',
      Promise.all(
        [...byBucket.values()].map(({ redisKeys, userKeys }) => {
          const [channel, message] = this.broadcast ? [this.layout.channel, this.message('k', JSON.stringify(userKeys))] : ['', ''];
          return this.guarded(this.connection.run(deleteScript, redisKeys, [channel, message]), 'DEL');
        }),
      ),
    );
  }

  /**
   * Deletes every entry carrying `tag`, on every slot bucket, and tells other
   * instances' L1 tiers. Cost: one `ZRANGE` per bucket plus one script per bucket
   * that lists tagged entries (per bucket atomic; across buckets not: see the guide).
   * Resolves the number of entries deleted; rejects when Redis is unavailable.
   */
  async invalidateTag(tag: string): Promise<number> {
    assertKeyPart('tag', tag);
    this.generation++;
    this.l1?.deleteTag(tag);
    const perBucket = await this.reported(
      'invalidateTag',
      Promise.all(
        this.layout.buckets.map(async (bucket) => {
          const idx = this.layout.tagIndex(bucket, tag);
          const members = (await this.guarded(this.connection.send(['ZRANGE', idx, 0, -1], idx), 'ZRANGE')) as string[];
          let deleted = 0;
          for (let i = 0; i < members.length; i += INVALIDATE_CHUNK) {
            const chunk = members.slice(i, i + INVALIDATE_CHUNK);
            const guards = chunk.map((e) => this.layout.guardOfEntry(bucket, e));
            const keys = [idx, ...chunk, ...guards];
            deleted += Number(await this.guarded(this.connection.run(invalidateScript, keys, [chunk.length]), 'invalidate'));
          }
          return deleted;
        }),
      ),
    );
    if (this.broadcast) {
      await this.reported(
        'invalidateTag',
        this.guarded(this.connection.send(['PUBLISH', this.layout.channel, this.message('t', tag)]), 'PUBLISH'),
      );
    }
    return perBucket.reduce((a, b) => a + b, 0);
  }

  /**
   * Fresh values of several keys: one `MGET` per slot bucket involved (one on
   * standalone), all in flight at once; L1 answers first. `undefined` for misses,
   * stale entries and when Redis is unavailable.
   */
  async mget<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    for (const k of keys) assertKeyPart('key', k);
    const out = new Array<T | undefined>(keys.length);
    const now = Date.now();
    const groups = new Map<string, { index: number[]; redisKeys: string[] }>();
    keys.forEach((k, i) => {
      const local = this.l1 ? this.l1.get(k, now) : ABSENT;
      if (local !== ABSENT) {
        out[i] = local as T;
        return;
      }
      const ek = this.layout.of(k);
      let g = groups.get(ek.bucket);
      if (!g) {
        g = { index: [], redisKeys: [] };
        groups.set(ek.bucket, g);
      }
      g.index.push(i);
      g.redisKeys.push(ek.entry);
    });
    if (groups.size === 0 || !this.online()) return out;
    const gen = this.generation;
    try {
      await Promise.all(
        [...groups.values()].map(async ({ index, redisKeys }) => {
          const raws = (await this.connection.send(['MGET', ...redisKeys], redisKeys[0], { timeoutMs: this.timeoutMs })) as (
            | string
            | null
          )[];
          raws.forEach((raw, j) => {
            const entry = raw == null ? undefined : this.decode(raw, keys[index[j] as number] as string);
            if (entry && entry.freshUntil > Date.now()) {
              out[index[j] as number] = entry.value as T;
              this.fillL1(keys[index[j] as number] as string, entry.value, entry.freshUntil, entry.tags, gen);
            }
          });
        }),
      );
    } catch (err) {
      this.failed(err, 'mget');
    }
    return out;
  }

  /**
   * Stores several untagged entries: one pipeline of `SET ... PX` per slot bucket
   * (one round trip on standalone, the invalidation message included). Resolves
   * `false` when Redis was unavailable and some writes were skipped.
   */
  async mset(entries: readonly MsetEntry[]): Promise<boolean> {
    const now = Date.now();
    const groups = new Map<string, { route: string; commands: (string | number)[][]; keys: string[] }>();
    for (const e of entries) {
      assertKeyPart('key', e.key);
      const policy = resolvePolicy(this.policy, { ttlMs: e.ttlMs });
      const encoded = encodeEntry(this.connection.serializer, e.value, now + policy.ttlMs, 0, undefined);
      const ek = this.layout.of(e.key);
      let g = groups.get(ek.bucket);
      if (!g) {
        g = { route: ek.entry, commands: [], keys: [] };
        groups.set(ek.bucket, g);
      }
      g.commands.push(['SET', ek.entry, encoded, 'PX', policy.ttlMs + policy.graceMs]);
      g.keys.push(e.key);
    }
    this.localInvalidate(entries.map((e) => e.key));
    if (groups.size === 0) return true;
    if (!this.online()) return false;
    try {
      await Promise.all(
        [...groups.values()].map(({ route, commands, keys }) => {
          if (this.broadcast) commands.push(['PUBLISH', this.layout.channel, this.message('k', JSON.stringify(keys))]);
          return this.guarded(this.connection.batch(commands, { routeKey: route }), 'a pipeline');
        }),
      );
      return true;
    } catch (err) {
      this.failed(err, 'mset');
      return false;
    }
  }

  /** Counters since creation (a copy). */
  stats(): CacheStats {
    return { ...this.counters };
  }

  /** Stops listening for invalidations and empties L1. Leaves the connection open. */
  async close(): Promise<void> {
    this.l1?.clear();
    const sub = this.subscription;
    this.subscription = undefined;
    if (!sub) return;
    await sub.catch(() => undefined);
    const subscriber = await this.connection.subscriber().catch(() => undefined);
    await subscriber?.unsubscribe(this.layout.channel, this.onMessage).catch(() => undefined);
  }

  // ---- read path ------------------------------------------------------------

  private async readThrough<T>(key: string, loader: Loader<T>, policy: EntryPolicy): Promise<T> {
    const gen = this.generation;
    const keys = this.layout.of(key);
    const entry = await this.read(key, keys);
    if (entry) {
      const now = Date.now();
      if (now < entry.freshUntil) {
        this.counters.hits++;
        this.onEvent?.({ type: 'hit', key });
        if (policy.beta > 0 && now - entry.loadMs * policy.beta * Math.log(Math.random()) >= entry.freshUntil) {
          this.refreshInBackground(key, keys, loader, policy);
        }
        this.fillL1(key, entry.value, entry.freshUntil, entry.tags, gen);
        return entry.value as T;
      }
      // Still in Redis but no longer fresh: inside the grace period (Redis expires it after).
      this.counters.stale++;
      this.onEvent?.({ type: 'stale', key });
      this.refreshInBackground(key, keys, loader, policy);
      return entry.value as T;
    }
    this.counters.misses++;
    this.onEvent?.({ type: 'miss', key });
    return this.loadGuarded(key, keys, loader, policy, gen);
  }

  /** One `GET`; `undefined` on a miss and when Redis is unavailable. */
  private async read(key: string, keys: EntryKeys): Promise<DecodedEntry | undefined> {
    if (!this.online()) return undefined;
    let raw: unknown;
    try {
      raw = await this.connection.send(['GET', keys.entry], keys.entry, { timeoutMs: this.timeoutMs });
    } catch (err) {
      this.failed(err, 'get', key);
      return undefined;
    }
    return raw == null ? undefined : this.decode(String(raw), key);
  }

  private async loadGuarded<T>(key: string, keys: EntryKeys, loader: Loader<T>, policy: EntryPolicy, gen: number): Promise<T> {
    if (!this.lockEnabled || !this.online()) return this.loadAndStore(key, keys, loader, policy, gen, undefined);
    const guardTtl = Math.min(this.lockTtlMs, policy.ttlMs);
    const token = randomId(9);
    let claimed: Guard | undefined;
    try {
      // A plain SET NX after the GET: if another instance stored the value in between, this
      // instance loads once more (harmless); waiting callers below use the atomic get-or-claim.
      claimed = await this.claim(keys, guardTtl, token);
    } catch (err) {
      this.failed(err, 'lock', key);
      return this.loadAndStore(key, keys, loader, policy, gen, undefined);
    }
    if (claimed) return this.loadAndStore(key, keys, loader, policy, gen, claimed);
    const deadline = Date.now() + this.lockWaitMs;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      await sleep(Math.min(backoffDelay(attempt, { baseMs: 10, maxMs: 200 }), Math.max(1, deadline - Date.now())));
      let reply: [number, string | number];
      const claimedAt = performance.now();
      try {
        reply = (await this.guarded(this.connection.run(claimScript, [keys.entry, keys.guard], [token, guardTtl]), 'claim')) as [
          number,
          string | number,
        ];
      } catch (err) {
        this.failed(err, 'lock', key);
        break;
      }
      if (Number(reply[0]) === 1) {
        const entry = this.decode(String(reply[1]), key);
        if (entry) {
          this.fillL1(key, entry.value, entry.freshUntil, entry.tags, gen);
          return entry.value as T;
        }
      } else if (Number(reply[1]) === 1) {
        // The loading instance died or failed (its guard is gone): this one takes over.
        return this.loadAndStore(key, keys, loader, policy, gen, { expiresAt: claimedAt + guardTtl });
      }
    }
    // The holder is alive but slow: stop waiting and serve this caller from the loader.
    return this.loadAndStore(key, keys, loader, policy, gen, undefined);
  }

  /** Takes the load guard with `SET NX PX`; the guard held, or `undefined` when another caller holds it. */
  private async claim(keys: EntryKeys, guardTtl: number, token: string): Promise<Guard | undefined> {
    const claimedAt = performance.now();
    const reply = await this.guarded(this.connection.send(['SET', keys.guard, token, 'NX', 'PX', guardTtl], keys.guard), 'SET NX');
    return reply === 'OK' ? { expiresAt: claimedAt + guardTtl } : undefined;
  }

  private async loadAndStore<T>(
    key: string,
    keys: EntryKeys,
    loader: Loader<T>,
    policy: EntryPolicy,
    gen: number,
    guard: Guard | undefined,
  ): Promise<T> {
    const started = performance.now();
    let value: T;
    try {
      value = await loader();
    } catch (err) {
      // Free the guard so that the next caller loads at once instead of waiting for it to expire.
      if (ownsGuard(guard)) this.connection.send(['DEL', keys.guard], keys.guard).catch((e) => this.failed(e, 'unlock', key));
      throw err;
    }
    const loadMs = performance.now() - started;
    this.counters.loads++;
    this.onEvent?.({ type: 'load', key, durationMs: loadMs });
    await this.store(key, keys, value, policy, loadMs, ownsGuard(guard));
    const ttl = value == null ? policy.negativeTtlMs : policy.ttlMs;
    if (ttl > 0) this.fillL1(key, value, Date.now() + ttl, policy.tags, gen);
    return value;
  }

  /**
   * Writes a loaded value and releases the guard in the same round trip; never
   * throws (a cache write failure must not fail the read).
   */
  private async store(key: string, keys: EntryKeys, value: unknown, policy: EntryPolicy, loadMs: number, release: boolean): Promise<void> {
    const negative = value == null;
    const ttl = negative ? policy.negativeTtlMs : policy.ttlMs;
    if (!this.online()) return;
    try {
      if (ttl === 0) {
        if (release) await this.guarded(this.connection.send(['DEL', keys.guard], keys.guard), 'DEL');
        return;
      }
      const px = negative ? ttl : ttl + policy.graceMs;
      const encoded = encodeEntry(this.connection.serializer, value, Date.now() + ttl, loadMs, policy.tags);
      if (policy.tags) {
        const idx = policy.tags.map((t) => this.layout.tagIndex(keys.bucket, t));
        await this.guarded(
          this.connection.run(setScript, [keys.entry, keys.guard, ...idx], [encoded, px, release ? '1' : '0', '', '']),
          'SET',
        );
      } else {
        // No message: other instances' L1 cannot hold this key fresh, since it was missing from Redis.
        const set = ['SET', keys.entry, encoded, 'PX', px];
        await this.guarded(
          release ? this.connection.batch([set, ['DEL', keys.guard]], { routeKey: keys.entry }) : this.connection.send(set, keys.entry),
          'SET',
        );
      }
    } catch (err) {
      this.failed(err, 'store', key);
    }
  }

  private refreshInBackground<T>(key: string, keys: EntryKeys, loader: Loader<T>, policy: EntryPolicy): void {
    if (this.refreshing.has(key) || !this.online()) return;
    this.refreshing.add(key);
    const run = async () => {
      let guard: Guard | undefined;
      if (this.lockEnabled) {
        guard = await this.claim(keys, Math.min(this.lockTtlMs, policy.ttlMs + policy.graceMs), randomId(9));
        if (!guard) return; // another instance is refreshing it
      }
      this.counters.refreshes++;
      this.onEvent?.({ type: 'refresh', key });
      await this.loadAndStore(key, keys, loader, policy, this.generation, guard);
    };
    run()
      .catch((err) => this.failed(err, 'refresh', key))
      .finally(() => this.refreshing.delete(key));
  }

  // ---- L1 and invalidation messages ------------------------------------------

  private fillL1(key: string, value: unknown, freshUntil: number, tags: readonly string[] | undefined, gen: number): void {
    if (!this.l1 || gen !== this.generation) return;
    const now = Date.now();
    // L1 never outlives freshness in Redis, so it never serves what Redis would call stale.
    this.l1.set(key, value, Math.min(now + this.l1TtlMs, freshUntil), tags);
  }

  private localInvalidate(keys: readonly string[]): void {
    this.generation++;
    if (this.l1) for (const k of keys) this.l1.delete(k);
  }

  private message(kind: 'k' | 't', body: string): string {
    return `${this.instanceId}|${kind}|${body}`;
  }

  private receive(message: string): void {
    const a = message.indexOf('|');
    if (message.slice(0, a) === this.instanceId) return;
    const kind = message[a + 1];
    const body = message.slice(a + 3);
    this.generation++;
    if (!this.l1) return;
    if (kind === 't') this.l1.deleteTag(body);
    else if (kind === 'k') {
      try {
        for (const k of JSON.parse(body) as string[]) this.l1.delete(k);
      } catch {
        this.l1.clear(); // unreadable message: dropping everything is the safe answer
      }
    }
  }

  private async subscribe(): Promise<void> {
    try {
      const sub = await this.connection.subscriber();
      await sub.subscribe(this.layout.channel, this.onMessage);
    } catch (err) {
      // Without the subscription L1 entries are still bounded by l1.ttlMs.
      this.failed(err, 'subscribe');
    }
  }

  // ---- failure handling --------------------------------------------------------

  private online(): boolean {
    return this.offlineUntil === 0 || Date.now() >= this.offlineUntil;
  }

  private decode(raw: string, key: string): DecodedEntry | undefined {
    try {
      return decodeEntry(this.connection.serializer, raw);
    } catch (err) {
      this.failed(err, 'decode', key);
      return undefined;
    }
  }

  /**
   * Bounds a Redis call by the cache's own timeout (the connection's may be
   * longer; core's run() and batch() take no per-call timeout). A late reply or
   * rejection is absorbed by the race, never unhandled.
   */
  private guarded<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CommandTimeoutError(this.timeoutMs, what)), this.timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** Reports a failed invalidation through `onEvent` and the counters, then rethrows it. */
  private async reported<T>(operation: string, promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (err) {
      this.failed(err, operation);
      throw err;
    }
  }

  private failed(error: unknown, operation: string, key?: string): void {
    this.counters.errors++;
    if (error instanceof RedisUnavailableError || error instanceof CommandTimeoutError) {
      this.offlineUntil = Date.now() + this.offlineBackoffMs;
    }
    this.onEvent?.({ type: 'error', key, operation, error });
  }
}

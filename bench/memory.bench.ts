// Memory per entity, ours against the peer library for the same content: a session with
// five fields, a queued job with a 200-byte payload, one rate-limit identity per algorithm,
// a held lock and a held semaphore permit, a cached entry with two tags. Every case writes
// under a prefix of its own; bytes are MEMORY USAGE <key> SAMPLES 0 summed over every key
// SCAN finds under it (value, key name and dict entry), once for one entity alone and once
// for N entities (per entity), with the INFO memory used_memory delta over the N as a cross-check
// (it also counts the expires-dict entry of each key with a TTL, and dict growth). No timings.
import { randomBytes } from 'node:crypto';
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { Queue as BullQueue } from 'bullmq';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import { RedisConnection } from 'redis-patterns';
import { Cache } from 'redis-patterns/cache';
import { FencedLock, Semaphore } from 'redis-patterns/lock';
import { StreamQueue } from 'redis-patterns/queue';
import {
  FixedWindowLimiter,
  GcraLimiter,
  SlidingWindowCounterLimiter,
  SlidingWindowLogLimiter,
  TokenBucketLimiter,
} from 'redis-patterns/rate-limit';
import { createExpressSessionStore, SessionStore } from 'redis-patterns/session';
import { Mutex, Semaphore as PeerSemaphore } from 'redis-semaphore';
import { deletePrefix, entityId, fmt, type KeysSummary, mdTable, pump, SCALE_MAX, settledUsedMemory, summarize } from './lib/keyspace.js';
import type { BenchContext } from './lib/types.js';

/** Entities per case (env BENCH_SCALE_MAX / 100, at most 10,000). */
const N = Math.max(100, Math.min(10_000, Math.floor(SCALE_MAX / 100)));
const INFLIGHT = 200;

interface MemoryCase {
  /** What one entity is; cases with the same entity share a group, the reference first. */
  entity: string;
  library: string;
  /** Every key of the case starts with it (SCAN `${prefix}*`). */
  prefix: string;
  /** The peer row the group's other rows are compared with. */
  reference?: boolean;
  /** Creates entity `i` (0 .. N-1). */
  make(i: number): Promise<unknown>;
  /** Why this row needs more than the reference, shown when it does. */
  why?: string;
  /** Releases what the case holds in the process (clients, timers), after its keys were measured. */
  done?(): Promise<unknown>;
}

interface Measured {
  c: MemoryCase;
  alone: KeysSummary;
  all: KeysSummary;
  usedDelta: number;
}

// A session's content: the user and five fields.
const FIVE = { role: 'nurse', ward: 'cardiology', theme: 'dark', lang: 'en', mfa: true };
// A job's payload: exactly 200 bytes of JSON.
const PAYLOAD = { payload: 'x'.repeat(200 - JSON.stringify({ payload: '' }).length) };
// A cached value (about 100 bytes of JSON) and its two tags.
const VALUE = { providerId: 42, slots: ['09:00', '09:30', '10:00', '10:30'], updatedAt: '2026-01-05T08:00:00Z' };
const TAGS = ['providers', 'region-east'];
const MINUTE = 60_000;

export default async function memoryBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const nr = createClient({ url: ctx.redisUrl });
  await nr.connect();
  const url = new URL(ctx.redisUrl);
  const bullConnection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  const conn = (prefix: string) => RedisConnection.from(io, { prefix });
  const cookie = () => ({ originalMaxAge: 30 * MINUTE, expires: new Date(Date.now() + 30 * MINUTE), httpOnly: true, path: '/' });
  const user = (i: number) => entityId('user', i);

  const cases: (() => MemoryCase)[] = [
    // Sessions: one session per user (the per-user index is not shared with other sessions).
    () => {
      const store = new RedisStore({ client: nr, prefix: 'mem-cr:', ttl: 1800 });
      return {
        entity: 'session (user + 5 fields)',
        library: 'connect-redis (JSON string)',
        prefix: 'mem-cr:',
        reference: true,
        make: (i) =>
          store.set(randomBytes(24).toString('base64url'), {
            cookie: cookie(),
            userId: user(i),
            ...FIVE,
          } as unknown as session.SessionData),
      };
    },
    () => {
      const sessions = new SessionStore({ connection: conn('mem-ss') });
      return {
        entity: 'session (user + 5 fields)',
        library: 'redis-patterns SessionStore',
        prefix: 'mem-ss:',
        make: (i) => sessions.create(user(i), FIVE),
        why: 'per-user index (sorted set: one per user here, shared by all sessions of a user; needed for destroyAll / list / maxSessionsPerUser); session key holds SHA-256 of the token (43 chars) and the user tag; bookkeeping fields u, c, l, x, t; one hash field per data field',
      };
    },
    () => {
      const sessions = new SessionStore({ connection: conn('mem-es') });
      const store = createExpressSessionStore(session, { sessions });
      return {
        entity: 'session (user + 5 fields)',
        library: 'redis-patterns express store',
        prefix: 'mem-es:',
        make: (i) =>
          store.set(`${sessions.tagOf(user(i))}.${randomBytes(32).toString('base64url')}`, { cookie: cookie(), userId: user(i), ...FIVE }),
        why: 'per-user index (as SessionStore); hash fields u, c, l, x, t next to the JSON (field e)',
      };
    },

    // Jobs waiting in one queue, 200-byte payload.
    () => {
      const queue = new BullQueue('jobs', { connection: bullConnection, prefix: 'mem-bull' });
      return {
        entity: 'queued job (200-byte payload)',
        library: 'bullmq Queue.add',
        prefix: 'mem-bull:',
        reference: true,
        make: () => queue.add('job', PAYLOAD),
        done: () => queue.close(),
      };
    },
    () => {
      const queue = new StreamQueue({ connection: conn('mem-sq'), name: 'jobs' });
      return {
        entity: 'queued job (200-byte payload)',
        library: 'redis-patterns StreamQueue.add',
        prefix: 'mem-sq:',
        make: () => queue.add('job', PAYLOAD),
        why: 'stream entry fields (name, data, maxAttempts)',
      };
    },
    () => {
      const queue = new BullQueue('jobs', { connection: bullConnection, prefix: 'mem-bullid' });
      return {
        entity: 'queued job with a jobId (200-byte payload)',
        library: 'bullmq Queue.add',
        prefix: 'mem-bullid:',
        reference: true,
        make: (i) => queue.add('job', PAYLOAD, { jobId: entityId('job', i) }),
        done: () => queue.close(),
      };
    },
    () => {
      const queue = new StreamQueue({ connection: conn('mem-sqid'), name: 'jobs' });
      return {
        entity: 'queued job with a jobId (200-byte payload)',
        library: 'redis-patterns StreamQueue.add',
        prefix: 'mem-sqid:',
        make: (i) => queue.add('job', PAYLOAD, { jobId: entityId('job', i) }),
        why: 'the job id twice: in the stream entry and as a field of the ids hash (deduplication)',
      };
    },

    // One identity after one check, limit 10 per minute.
    () => {
      const limiter = new RateLimiterRedis({ storeClient: io, keyPrefix: 'mem-rlf', points: 10, duration: 60 });
      return {
        entity: 'rate-limit identity (10/min, after 1 check)',
        library: 'rate-limiter-flexible RateLimiterRedis (fixed window; it has no sliding or bucket algorithm on Redis)',
        prefix: 'mem-rlf:',
        reference: true,
        make: (i) => limiter.consume(user(i)),
      };
    },
    () => {
      const limiter = new FixedWindowLimiter({ connection: conn('mem-fw'), limit: 10, windowMs: MINUTE });
      return rl('fixed window', 'mem-fw:', (i) => limiter.check(user(i)), 'hash tag and limiter name in the key name');
    },
    () => {
      const limiter = new SlidingWindowLogLimiter({ connection: conn('mem-sl'), limit: 10, windowMs: MINUTE });
      return rl('sliding log', 'mem-sl:', (i) => limiter.check(user(i)), 'a sorted set (one member per unit taken: exact log)');
    },
    () => {
      const limiter = new SlidingWindowLogLimiter({ connection: conn('mem-sl10'), limit: 10, windowMs: MINUTE });
      return rl(
        'sliding log, full (10 checks)',
        'mem-sl10:',
        async (i) => {
          for (let k = 0; k < 10; k++) await limiter.check(user(i));
        },
        'one sorted-set member per unit taken (exact log): O(limit) by design',
      );
    },
    () => {
      const limiter = new SlidingWindowCounterLimiter({ connection: conn('mem-sc'), limit: 10, windowMs: MINUTE });
      return rl('sliding counter', 'mem-sc:', (i) => limiter.check(user(i)), 'a hash of two window counts (current and previous window)');
    },
    () => {
      const limiter = new TokenBucketLimiter({ connection: conn('mem-tb'), capacity: 10, refillRate: 10, refillIntervalMs: MINUTE });
      return rl('token bucket', 'mem-tb:', (i) => limiter.check(user(i)), 'hash tag and limiter name in the key name');
    },
    () => {
      const limiter = new GcraLimiter({ connection: conn('mem-gcra'), limit: 10, periodMs: MINUTE });
      return rl('gcra', 'mem-gcra:', (i) => limiter.check(user(i)), 'hash tag and limiter name in the key name');
    },

    // A lock held on a resource of its own.
    () => {
      const mutexes: Mutex[] = [];
      return {
        entity: 'held lock',
        library: 'redis-semaphore Mutex',
        prefix: 'mutex:mem-rs-',
        reference: true,
        async make(i) {
          const m = new Mutex(io, `mem-rs-${entityId('res', i)}`, { lockTimeout: MINUTE, refreshInterval: 0 });
          await m.acquire();
          mutexes.push(m);
        },
      };
    },
    () => {
      const locks = new FencedLock({ connection: conn('mem-fl'), ttlMs: MINUTE });
      return {
        entity: 'held lock',
        library: 'redis-patterns FencedLock',
        prefix: 'mem-fl:',
        make: (i) => locks.tryAcquire(entityId('res', i)),
        why: 'fencing counter of the resource’s hash slot (never expires, shared by every resource of that slot: at most 16,384 in all, so its share per lock falls as locks spread over the slots), and the token in the owner value',
      };
    },
    () => ({
      entity: 'held semaphore permit (limit 5)',
      library: 'redis-semaphore Semaphore',
      prefix: 'semaphore:mem-rs-',
      reference: true,
      async make(i) {
        await new PeerSemaphore(io, `mem-rs-${entityId('res', i)}`, 5, { lockTimeout: MINUTE, refreshInterval: 0 }).acquire();
      },
    }),
    () => {
      const semaphore = new Semaphore({ connection: conn('mem-sem'), limit: 5, ttlMs: MINUTE });
      return {
        entity: 'held semaphore permit (limit 5)',
        library: 'redis-patterns Semaphore',
        prefix: 'mem-sem:',
        make: (i) => semaphore.tryAcquire(entityId('res', i)),
        why: 'hash tag and :holders suffix in the key name',
      };
    },

    // A cached entry (about 100 bytes of JSON), with two tags and without.
    () => bento('cached entry with 2 tags', 'mem-bento', true),
    () => ours('cached entry with 2 tags', 'mem-cache', true),
    () => bento('cached entry, no tags', 'mem-bento0', false),
    () => ours('cached entry, no tags', 'mem-cache0', false),
  ];

  function rl(name: string, prefix: string, make: (i: number) => Promise<unknown>, why: string): MemoryCase {
    return { entity: 'rate-limit identity (10/min, after 1 check)', library: `redis-patterns ${name}`, prefix, make, why };
  }
  function bento(entity: string, prefix: string, tagged: boolean): MemoryCase {
    // A client of its own: bentocache's disconnect() closes the client it was given.
    const cache = new BentoCache({
      default: 'redis',
      stores: { redis: bentostore().useL2Layer(redisDriver({ connection: new Redis(ctx.redisUrl), prefix })) },
    });
    return {
      entity,
      library: 'bentocache (Redis store)',
      prefix: `${prefix}:`,
      reference: true,
      make: (i) => cache.set({ key: entityId('provider', i), value: VALUE, ttl: 10 * MINUTE, ...(tagged ? { tags: TAGS } : {}) }),
      done: () => cache.disconnect().catch(() => undefined),
    };
  }
  function ours(entity: string, prefix: string, tagged: boolean): MemoryCase {
    const connection = conn(prefix);
    const cache = new Cache({ connection, ttlMs: 10 * MINUTE });
    return {
      entity,
      library: 'redis-patterns Cache',
      prefix: `${prefix}:`,
      make: (i) => cache.set(entityId('provider', i), VALUE, tagged ? { tags: TAGS } : undefined),
      why: tagged
        ? 'tag indexes: one sorted-set member per tag per entry, holding the full entry key name (eager invalidation by tag); bentocache invalidates lazily (a timestamp per tag, checked on read), so an entry costs it only the tag names in its value'
        : 'entry header (fresh-until time, load duration, kind) before the value',
      done: () => cache.close(),
    };
  }

  const measured: Measured[] = [];
  try {
    for (const make of cases) {
      const c = make();
      console.error(`  memory: ${c.entity} | ${c.library}`);
      await deletePrefix(io, c.prefix);
      // Entity 0 alone; it also loads scripts and opens connections before the baseline.
      await c.make(0);
      const alone = await summarize(io, c.prefix);
      const before = await settledUsedMemory(io);
      await pump(N - 1, INFLIGHT, (i) => c.make(i + 1));
      const after = await settledUsedMemory(io);
      const all = await summarize(io, c.prefix);
      measured.push({ c, alone, all, usedDelta: (after - before) / (N - 1) });
      await c.done?.();
      await deletePrefix(io, c.prefix);
    }
  } finally {
    await nr.close();
    io.disconnect();
  }

  const rows: string[][] = [];
  for (const m of measured) {
    const ref = measured.find((r) => r.c.entity === m.c.entity && r.c.reference);
    const perEntity = m.all.bytes / N;
    const refPer = ref ? ref.all.bytes / N : perEntity;
    const more = !m.c.reference && perEntity > refPer * 1.05;
    rows.push([
      m.c.entity,
      m.c.library,
      fmt.int(m.alone.keys),
      fmt.bytes(m.alone.bytes),
      fmt.two(m.all.keys / N),
      fmt.int(perEntity),
      fmt.int(m.usedDelta),
      m.c.reference ? '' : `${fmt.two(perEntity / refPer)}x`,
      m.all.kinds.map((k) => `${k.kind} (${k.encoding}): ${fmt.int(k.bytes / N)} B`).join(', '),
      more ? (m.c.why ?? '') : '',
    ]);
  }
  ctx.section(
    'Memory per entity',
    `N = ${fmt.int(N)} entities per case. Bytes are \`MEMORY USAGE <key> SAMPLES 0\` (value, key name and dict entry) summed over every key SCAN finds under the case's own prefix. "one alone": the keys and bytes of the first entity by itself (it pays for shared keys alone); "per entity": everything under the prefix with N entities, divided by N (shared keys amortized). "used_memory Δ": INFO memory used_memory after minus before entities 2..N, per entity: it also counts each key's expires-dict entry and dict growth, so it runs higher for keys with a TTL. "vs peer": per-entity bytes over the first row of the group. Where kinds show \`*\`, ids vary; \`{*}\` is a hash tag.\n\n${mdTable(
      [
        'entity',
        'library',
        'keys, one alone',
        'bytes, one alone',
        'keys per entity',
        'bytes per entity',
        'used_memory Δ per entity',
        'vs peer',
        'bytes per entity by key kind',
        'why ours is larger',
      ],
      rows,
      [2, 3, 4, 5, 6, 7],
    )}`,
  );
}

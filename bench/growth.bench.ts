// Keys and bytes left after 1,000,000 distinct ids per module: each case runs a module's
// normal lifecycle once per fresh id (lock acquire + release on a new resource, a rate-limit
// check of a new identity, a session created and destroyed, a job added, processed and
// completed, ...) and reports what stays in Redis right after the work, and after waiting
// out the short TTLs the case configures; keys that live forever are counted at 10% and at
// 100% of the ids, so one that grows with ids is flagged. Each case runs in a database of
// its own on the bench server (INFO keyspace counts keys and keys with a TTL per database)
// and stops after BENCH_GROWTH_MS (default 10 s) of work: a case that could not run every
// id reports the ids it ran and extrapolates to BENCH_SCALE_MAX (default 1,000,000).
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import session from 'express-session';
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Cache } from 'redis-patterns/cache';
import { CircuitBreaker } from 'redis-patterns/circuit-breaker';
import { AtomicCounter, BloomFilter, UniqueCounter } from 'redis-patterns/counters';
import { Feed } from 'redis-patterns/feed';
import { GeoIndex } from 'redis-patterns/geo';
import { Leaderboard } from 'redis-patterns/leaderboard';
import { FencedLock, Semaphore, SlotHold } from 'redis-patterns/lock';
import { OffloadStore } from 'redis-patterns/offload';
import { PriorityQueue, StreamQueue } from 'redis-patterns/queue';
import {
  FixedWindowLimiter,
  GcraLimiter,
  type RateLimiter,
  SlidingWindowCounterLimiter,
  SlidingWindowLogLimiter,
  TokenBucketLimiter,
} from 'redis-patterns/rate-limit';
import { createExpressSessionStore, SessionStore } from 'redis-patterns/session';
import { StateMachine } from 'redis-patterns/state-machine';
import { Streaks } from 'redis-patterns/streaks';
import { deletePrefix, entityId, fmt, type KeysSummary, keyspace, mdTable, pump, SCALE_MAX, sleep, summarize } from './lib/keyspace.js';
import type { BenchContext } from './lib/types.js';

const TARGET = SCALE_MAX;
const BATCH = Math.max(1000, Math.floor(TARGET / 100));
const BUDGET_MS = Number(process.env.BENCH_GROWTH_MS ?? 10_000);
const INFLIGHT = 500;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
// After a turn of the event loop: a WeakRef made in this job keeps its target alive until the job ends.
const heapMb = async () => {
  await sleep(0);
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

interface GrowthCase {
  module: string;
  lifecycle: string;
  /** Runs the lifecycle once for every id in [from, to). */
  run(from: number, to: number): Promise<unknown>;
  /** After the last batch (let a worker finish, sync). */
  finish?(): Promise<unknown>;
  /** How long to wait after the work for the case's short TTLs to pass. */
  waitMs: number;
  /** What outlives the wait, and why. */
  note?: string;
}

const each = (from: number, to: number, op: (i: number) => Promise<unknown>, inflight = INFLIGHT) =>
  pump(to - from, inflight, (k) => op(from + k));
const id = (i: number) => entityId('id', i);
const SECOND = 1000;

/** The cases, each built on a connection with a prefix of its own. */
const cases: ((connection: RedisConnection) => GrowthCase)[] = [
  (connection) => {
    const locks = new FencedLock({ connection, ttlMs: 10 * SECOND });
    return {
      module: 'lock',
      lifecycle: 'FencedLock tryAcquire + release, fresh resource',
      waitMs: 0,
      run: (a, b) => each(a, b, async (i) => (await locks.tryAcquire(id(i)))?.release()),
      note: 'fencing counters: one per hash slot, never expire (by design), at most 16,384',
    };
  },
  (connection) => {
    const semaphore = new Semaphore({ connection, limit: 5, ttlMs: 10 * SECOND });
    return {
      module: 'lock',
      lifecycle: 'Semaphore(5) tryAcquire + release, fresh name',
      waitMs: 0,
      run: (a, b) => each(a, b, async (i) => (await semaphore.tryAcquire(id(i)))?.release()),
    };
  },
  (connection) => {
    const slots = new SlotHold({ connection, holdTtlMs: 10 * SECOND });
    return {
      module: 'lock',
      lifecycle: 'SlotHold hold + release, fresh slot',
      waitMs: 0,
      run: (a, b) =>
        each(a, b, async (i) => {
          await slots.hold(id(i), 'holder-000000000001');
          await slots.release(id(i), 'holder-000000000001');
        }),
    };
  },
  ...(
    [
      ['fixed window', (c) => new FixedWindowLimiter({ connection: c, limit: 10, windowMs: SECOND })],
      ['sliding log', (c) => new SlidingWindowLogLimiter({ connection: c, limit: 10, windowMs: SECOND })],
      ['sliding counter', (c) => new SlidingWindowCounterLimiter({ connection: c, limit: 10, windowMs: SECOND })],
      ['token bucket', (c) => new TokenBucketLimiter({ connection: c, capacity: 10, refillRate: 10 })],
      ['gcra', (c) => new GcraLimiter({ connection: c, limit: 10, periodMs: SECOND })],
    ] as [string, (c: RedisConnection) => RateLimiter][]
  ).map(([name, make]) => (connection: RedisConnection): GrowthCase => {
    const limiter = make(connection);
    return {
      module: 'rate-limit',
      lifecycle: `${name} check (10 per s), fresh identity`,
      waitMs: 2.2 * SECOND,
      run: (a, b) => each(a, b, (i) => limiter.check(id(i))),
    };
  }),
  (connection) => {
    const sessions = new SessionStore({ connection });
    return {
      module: 'session',
      lifecycle: 'SessionStore create + destroy, fresh user',
      waitMs: 0,
      run: (a, b) => each(a, b, async (i) => sessions.destroy((await sessions.create(id(i), { role: 'nurse' })).token)),
    };
  },
  (connection) => {
    const sessions = new SessionStore({ connection, idleTimeoutMs: SECOND });
    return {
      module: 'session',
      lifecycle: 'SessionStore create, left to idle out (idle 1 s, absolute 24 h default), fresh user',
      waitMs: 1.5 * SECOND,
      run: (a, b) => each(a, b, (i) => sessions.create(id(i), { role: 'nurse' })),
      note: "the user's index keeps the id of an idled-out session until the absolute deadline (index TTL = latest absolute deadline)",
    };
  },
  (connection) => {
    const sessions = new SessionStore({ connection });
    const store = createExpressSessionStore(session, { sessions });
    const cookie = { originalMaxAge: 1_800_000, expires: new Date(Date.now() + 1_800_000), httpOnly: true, path: '/' };
    return {
      module: 'session',
      lifecycle: 'express store set + destroy, fresh user',
      waitMs: 0,
      run: (a, b) =>
        each(a, b, async (i) => {
          const sid = `${sessions.tagOf(id(i))}.${randomBytes(32).toString('base64url')}`;
          await store.set(sid, { cookie, userId: id(i), role: 'nurse' });
          await store.destroy(sid);
        }),
      note: 'tombstones of destroyed sids, tombstoneMs (60 s default)',
    };
  },
  (connection) => {
    const queue = new StreamQueue<{ i: number }>({ connection, name: 'growth' });
    let worker: Awaited<ReturnType<typeof queue.process>> | undefined;
    let completed = 0;
    return {
      module: 'queue',
      lifecycle: 'StreamQueue add (fresh jobId) + process + complete',
      waitMs: 0,
      async run(a, b) {
        if (!worker) {
          worker = await queue.process(() => undefined, { concurrency: 200 });
          worker.on('completed', () => completed++);
        }
        for (let k = a; k < b; k += 1000) {
          const n = Math.min(1000, b - k);
          await queue.addBulk(Array.from({ length: n }, (_, j) => ({ name: 'job', data: { i: k + j }, options: { jobId: id(k + j) } })));
        }
        while (completed < b) await sleep(5);
      },
      finish: async () => worker?.close(),
      note: 'the empty stream with its consumer group: the queue itself',
    };
  },
  (connection) => {
    const queue = new PriorityQueue<{ i: number }>({ connection, name: 'growth' });
    return {
      module: 'queue',
      lifecycle: 'PriorityQueue add + pop',
      waitMs: 0,
      async run(a, b) {
        for (let k = a; k < b; k += 1000) {
          const n = Math.min(1000, b - k);
          await queue.addBulk(Array.from({ length: n }, (_, j) => ({ name: 'job', data: { i: k + j }, priority: (k + j) % 10 })));
          await queue.pop(n);
        }
      },
      note: 'the sequence counter (keeps equal priorities in order): the queue itself',
    };
  },
  (connection) => {
    const cache = new Cache({ connection, ttlMs: 2 * SECOND });
    return {
      module: 'cache',
      lifecycle: 'set with 2 tags (TTL 2 s) + delete, fresh key',
      waitMs: 2.5 * SECOND,
      run: (a, b) =>
        each(a, b, async (i) => {
          await cache.set(id(i), { v: i }, { tags: ['tag-a', 'tag-b'] });
          await cache.delete(id(i));
        }),
    };
  },
  (connection) => {
    const cache = new Cache({ connection, ttlMs: SECOND });
    return {
      module: 'cache',
      lifecycle: 'set with 2 tags, left to expire (TTL 1 s), fresh key',
      waitMs: 1.5 * SECOND,
      run: (a, b) => each(a, b, (i) => cache.set(id(i), { v: i }, { tags: ['tag-a', 'tag-b'] })),
    };
  },
  (connection) => ({
    module: 'circuit-breaker',
    lifecycle: 'new CircuitBreaker + execute (success) + close, fresh name (window 1 s)',
    waitMs: 1.5 * SECOND,
    run: (a, b) =>
      each(a, b, async (i) => {
        const breaker = new CircuitBreaker({ connection, name: id(i), windowMs: SECOND, timeoutMs: 0 });
        await breaker.execute(() => 1);
        await breaker.close();
      }),
  }),
  (connection) => {
    const counter = new AtomicCounter({ connection, windowMs: 100, windows: 10 });
    return {
      module: 'counters',
      lifecycle: 'AtomicCounter increment (10 windows of 100 ms), fresh counter',
      waitMs: 1.5 * SECOND,
      run: (a, b) => each(a, b, (i) => counter.increment(id(i))),
    };
  },
  (connection) => {
    const unique = new UniqueCounter({ connection, retentionDays: 1 });
    return {
      module: 'counters',
      lifecycle: 'UniqueCounter track (retentionDays 1), fresh counter',
      waitMs: 0,
      run: (a, b) => each(a, b, (i) => unique.track(id(i), 'visitor-0000000001')),
      note: 'HyperLogLogs: a day’s key expires retentionDays after the end of that UTC day (the shortest retention is 1 day)',
    };
  },
  (connection) => {
    const filter = new BloomFilter({ connection, name: 'growth', capacity: TARGET, errorRate: 0.01, backend: 'lua' });
    return {
      module: 'counters',
      lifecycle: `BloomFilter (capacity ${fmt.count(TARGET)}) addMany, fresh items`,
      waitMs: 0,
      run: (a, b) => {
        const chunks = Array.from({ length: Math.ceil((b - a) / 1000) }, (_, c) => a + c * 1000);
        return pump(chunks.length, 8, (c) => {
          const from = chunks[c] as number;
          return filter.addMany(Array.from({ length: Math.min(1000, b - from) }, (_, j) => id(from + j)));
        });
      },
      note: 'the filter: fixed size set by capacity and errorRate, no TTL unless ttlMs (by design)',
    };
  },
  (connection) => {
    const feed = new Feed({ connection, ttlMs: SECOND });
    return {
      module: 'feed',
      lifecycle: 'add one item (feed TTL 1 s), fresh owner',
      waitMs: 1.5 * SECOND,
      run: (a, b) => each(a, b, (i) => feed.add(id(i), { id: 'item-000000000001', data: { kind: 'appointment' } })),
    };
  },
  (connection) => {
    const feed = new Feed({ connection, maxItems: 500 });
    return {
      module: 'feed',
      lifecycle: 'add to one owner (maxItems 500), fresh item id',
      waitMs: 0,
      run: (a, b) => each(a, b, (i) => feed.add('owner-000000000001', { id: id(i), at: i, data: { kind: 'appointment' } })),
      note: 'the one feed, trimmed to maxItems; it expires ttlMs (30 days default) after the last add',
    };
  },
  (connection) => {
    const board = new Leaderboard({ connection, name: 'growth', ttlMs: SECOND });
    return {
      module: 'leaderboard',
      lifecycle: 'add to one board (ttlMs 1 s), fresh member',
      waitMs: 1.5 * SECOND,
      run: (a, b) => each(a, b, (i) => board.add(id(i), i % 1000)),
      note: 'the board holds every member until it expires (ttlMs); a standing board without ttlMs keeps them: they are its data',
    };
  },
  (connection) => {
    const index = new GeoIndex({ connection, name: 'growth' });
    return {
      module: 'geo',
      lifecycle: 'addMany + remove, fresh member',
      waitMs: 0,
      async run(a, b) {
        for (let k = a; k < b; k += 1000) {
          const members = Array.from({ length: Math.min(1000, b - k) }, (_, j) => id(k + j));
          await index.addMany(
            members.map((member, j) => ({ member, lon: ((k + j) % 360) - 180, lat: ((k + j) % 170) - 85, payload: { n: j } })),
          );
          await index.remove(...members);
        }
      },
    };
  },
  (connection) => {
    const flows = new StateMachine({
      connection,
      name: 'growth',
      definition: { initial: 'open', transitions: { open: ['done'], done: [] } },
      ttlMs: SECOND,
    });
    return {
      module: 'state-machine',
      lifecycle: 'start + transition to final (ttlMs 1 s), fresh id',
      waitMs: 1.5 * SECOND,
      run: (a, b) =>
        each(a, b, async (i) => {
          await flows.start(id(i), { who: 'nurse' });
          await flows.transition(id(i), 'open', 'done');
        }),
    };
  },
  (connection) => {
    const streaks = new Streaks({ connection, ttlMs: SECOND });
    return {
      module: 'streaks',
      lifecycle: 'record (ttlMs 1 s), fresh user',
      waitMs: 1.5 * SECOND,
      run: (a, b) => each(a, b, (i) => streaks.record(id(i), 'check-in', Date.now())),
    };
  },
  (connection) => {
    const store = new OffloadStore({ connection, name: 'growth', cleanTtlMs: SECOND });
    return {
      module: 'offload',
      lifecycle: 'update + sync (cleanTtlMs 1 s), fresh record',
      waitMs: 1.5 * SECOND,
      async run(a, b) {
        await each(a, b, (i) => store.update(id(i), { status: 'checked-in', room: '4B' }));
        await store.sync(async () => undefined, { batchSize: 1000 });
      },
    };
  },
];

interface Outcome {
  c: GrowthCase;
  ids: number;
  workMs: number;
  right: KeysSummary;
  later: KeysSummary;
  foreverAt10: { ids: number; forever: number };
  forever: number;
  heapDeltaMb: number;
}

export default async function growthBench(ctx: BenchContext): Promise<void> {
  const admin = new Redis(ctx.redisUrl);
  // A database of its own, empty (never flushed: with REDIS_URL it may be someone's server).
  let db = -1;
  for (let d = 15; d >= 1 && db < 0; d--) if ((await keyspace(admin, d)).keys === 0) db = d;
  admin.disconnect();
  if (db < 0) throw new Error('growth bench: no empty database 1..15 on the server');
  const io = new Redis(ctx.redisUrl, { db });
  const outcomes: Outcome[] = [];
  try {
    for (const [k, make] of cases.entries()) {
      const prefix = `g${k}`;
      const connection = RedisConnection.from(io, { prefix });
      const heap0 = await heapMb();
      const c = make(connection);
      console.error(`  growth: ${c.module} | ${c.lifecycle}`);
      const checkpoints: { ids: number; forever: number }[] = [];
      const t0 = performance.now();
      let ids = 0;
      while (ids < TARGET && performance.now() - t0 < BUDGET_MS) {
        const to = Math.min(TARGET, ids + BATCH);
        await c.run(ids, to);
        ids = to;
        const ks = await keyspace(io, db);
        checkpoints.push({ ids, forever: ks.keys - ks.expires });
      }
      await c.finish?.();
      const workMs = performance.now() - t0;
      const right = await summarize(io, `${prefix}:`);
      await sleep(c.waitMs);
      const later = c.waitMs > 0 ? await summarize(io, `${prefix}:`) : right;
      const ks = await keyspace(io, db);
      const heapDeltaMb = (await heapMb()) - heap0;
      await connection.close();
      outcomes.push({
        c,
        ids,
        workMs,
        right,
        later,
        foreverAt10: checkpoints.find((p) => p.ids >= ids / 10) ?? { ids: 0, forever: 0 },
        forever: ks.keys - ks.expires,
        heapDeltaMb,
      });
      await deletePrefix(io, `${prefix}:`);
    }
  } finally {
    io.disconnect();
  }

  const rows = outcomes.map((o) => {
    const grows = o.forever > 0 && o.foreverAt10.forever > 0 && o.forever / o.foreverAt10.forever >= 0.5 * (o.ids / o.foreverAt10.ids);
    const scale = TARGET / o.ids;
    const ttlKeys = o.later.keys - o.forever;
    const maxTtl = o.later.kinds.reduce((a, k) => Math.max(a, k.maxTtlMs), 0);
    let verdict: string;
    if (o.later.keys === 0) verdict = 'nothing left';
    else if (grows) verdict = `**forever keys GROW with ids** (${fmt.two(o.forever / o.ids)} per id)`;
    else if (o.forever > 0) verdict = `bounded: ${fmt.int(o.forever)} forever key${o.forever === 1 ? '' : 's'}`;
    else verdict = 'only keys with a TTL left';
    if (ttlKeys > 0) verdict += `; ${fmt.int(ttlKeys)} key${ttlKeys === 1 ? '' : 's'} expire within ${fmt.duration(maxTtl)}`;
    // Keys with a TTL, and forever keys that grow, scale with the ids; bounded forever keys do not.
    let keysAt = 0;
    let bytesAt = 0;
    for (const k of o.later.kinds) {
      const f = k.forever >= k.count / 2 && !grows ? 1 : scale;
      keysAt += k.count * f;
      bytesAt += k.bytes * f;
    }
    const atTarget = o.ids >= TARGET ? '' : `${fmt.int(keysAt)} keys, ${fmt.bytes(bytesAt)}`;
    return [
      o.c.module,
      o.c.lifecycle,
      `${fmt.int(o.ids)} in ${fmt.one(o.workMs / 1000)} s`,
      `${fmt.int(o.right.keys)} / ${fmt.bytes(o.right.bytes)}`,
      o.c.waitMs > 0 ? `${fmt.int(o.later.keys)} / ${fmt.bytes(o.later.bytes)} (after ${fmt.one(o.c.waitMs / 1000)} s)` : 'no wait',
      o.later.kinds
        .map(
          (k) =>
            `${k.kind}: ${fmt.int(k.count)} (${k.forever >= k.count ? 'no TTL' : `TTL ≤ ${fmt.duration(k.maxTtlMs)}`}), ${fmt.bytes(k.bytes)}`,
        )
        .join('; '),
      `${fmt.int(o.foreverAt10.forever)} → ${fmt.int(o.forever)}`,
      atTarget,
      verdict,
      o.c.note ?? '',
      fmt.one(o.heapDeltaMb),
    ];
  });
  ctx.section(
    `Keys and bytes left after ${fmt.count(TARGET)} distinct ids`,
    `Each case runs one module's lifecycle once per fresh id in a database of its own, with up to ${INFLIGHT} calls in flight, for at most ${fmt.one(
      BUDGET_MS / 1000,
    )} s (BENCH_GROWTH_MS); "ids" is how many it ran. "right after": keys / MEMORY USAGE bytes under the case's prefix once the work is done; "after the wait": the same once the case's short TTLs passed (SCAN also drops expired keys). "left": what remains, by kind, with its TTL. "forever keys": keys without a TTL (INFO keyspace) at 10% of the ids and at the end. "at ${fmt.count(TARGET)}": what would remain after the wait had the case run every id (keys with a TTL and growing forever keys scaled linearly, bounded ones not; for keys with a TTL an upper bound: all of them alive at once if the ids came within that TTL). "heap Δ": the bench process's JS heap after GC, after minus before the case (MB).\n\n${mdTable(
      [
        'module',
        'lifecycle per id',
        'ids',
        'right after: keys / bytes',
        'after the wait: keys / bytes',
        'left, by kind',
        'forever keys at 10% → 100%',
        `at ${fmt.count(TARGET)} (extrapolated)`,
        'verdict',
        'note',
        'heap Δ MB',
      ],
      rows,
      [2, 3, 4, 6, 7, 10],
    )}`,
  );
}

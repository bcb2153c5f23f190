// Cost as work grows: the same operation on a small and a large population, side by side in
// alternating rounds (bench/run.ts compare), with ops/s and Redis CPU µs per operation:
// queue add and drain with 1k vs 1M jobs waiting (StreamQueue and BullMQ), SessionStore.get
// with 1k vs 1M live sessions (each population in a database of its own, so each has its own
// key dict), leaderboard rank / top / increment on boards of 1k vs 1M members, and cache tags
// of 10 vs 100k entries: a tagged set, and invalidateTag timed once per size with the longest
// single command it caused (SLOWLOG, threshold 0) and the worst PING latency another client saw
// meanwhile. BENCH_SCALE_MAX (default 1,000,000) sets the large size (the large tag: a tenth,
// at most 100k); loading a large population stops after BENCH_SCALE_LOAD_MS (default 45 s),
// and the rows then name the size it reached.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Cache } from 'redis-patterns/cache';
import { Leaderboard } from 'redis-patterns/leaderboard';
import { SessionStore } from 'redis-patterns/session';
import { CommandStats } from './lib/commandstats.js';
import { deletePrefix, entityId, fmt, keyspace, mdTable, pump, SCALE_MAX, sleep } from './lib/keyspace.js';
import { bullLib, completions, fill, type QueueLib, streamQueueLib } from './lib/queues.js';
import type { BenchCase, BenchContext, BenchRow } from './lib/types.js';

const SMALL = 1000;
const LARGE = SCALE_MAX;
const TAG_SMALL = 10;
const TAG_LARGE = Math.min(100_000, Math.floor(SCALE_MAX / 10));
const CONCURRENCY = 50;
const WORKER_CONCURRENCY = 50;
const REFILL = 250;
const LOAD_MS = Number(process.env.BENCH_SCALE_LOAD_MS ?? 45_000);

const size = (n: number) => fmt.count(n);

export default async function scaleBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const url = new URL(ctx.redisUrl);
  const bullConnection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  const connection = RedisConnection.from(io, { prefix: 'scale' });
  const pairs: { what: string; small: BenchRow; large: BenchRow; smallSize: number; largeSize: number }[] = [];
  const loads: string[][] = [];

  // Rows of one operation at both sizes: per library [small, large], the large one compared with the small one.
  type AtSizes = [library: string, small: BenchCase, large: BenchCase, sizes: [small: number, large: number]];
  const bySize = async (what: string, operation: string, cases: AtSizes[]) => {
    const suite = `scale: ${what}`;
    const rows = await ctx.compare(
      cases.flatMap(([library, small, large, [s, l]]) => [
        { ...small, suite, operation, library: `${library}, ${size(s)}` },
        { ...large, suite, operation, library: `${library}, ${size(l)}`, reference: `${library}, ${size(s)}` },
      ]),
    );
    cases.forEach(([library, , , [smallSize, largeSize]], k) => {
      const [small, large] = [rows[2 * k] as BenchRow, rows[2 * k + 1] as BenchRow];
      pairs.push({ what: `${what}: ${operation} (${library})`, small, large, smallSize, largeSize });
    });
  };
  /** Loads up to `target` items, `batch(from, to)` at a time, until `target` or LOAD_MS; resolves how many. */
  const loadUpTo = async (label: string, target: number, batch: (from: number, to: number) => Promise<unknown>) => {
    const t0 = performance.now();
    const step = Math.max(1000, Math.floor(target / 100));
    let n = 0;
    while (n < target && performance.now() - t0 < LOAD_MS) {
      const to = Math.min(target, n + step);
      await batch(n, to);
      n = to;
    }
    const ms = performance.now() - t0;
    loads.push([
      label,
      fmt.int(n),
      fmt.one(ms / 1000),
      fmt.int((n / ms) * 1000),
      n < target ? `stopped at ${fmt.one(LOAD_MS / 1000)} s` : '',
    ]);
    console.error(`  scale: loaded ${label}: ${fmt.int(n)} in ${fmt.one(ms / 1000)} s`);
    return n;
  };

  try {
    // ---- Queue: backlogs of SMALL and LARGE jobs waiting. The large queues live through every round
    // (they grow or shrink by a few thousand: nothing next to LARGE); a small one is made fresh each round.
    const libs: [string, (name: string) => QueueLib][] = [
      ['redis-patterns StreamQueue', (name) => streamQueueLib(connection, io, name)],
      ['bullmq', (name) => bullLib(bullConnection, io, 'scale-bull', name)],
    ];
    // Each large queue loads up to LARGE jobs (BullMQ, slower to load, may stop short: its rows say the size it reached).
    const big = new Map<string, { lib: QueueLib; n: number }>();
    for (const [library, make] of libs) {
      const lib = make('big');
      big.set(library, { lib, n: await loadUpTo(`${library}: addBulk backlog`, LARGE, (a, b) => fill(lib, b - a, a)) });
    }
    const at = (library: string) => big.get(library) as { lib: QueueLib; n: number };
    let fresh = 0;
    const smallQueue = async (make: (name: string) => QueueLib) => {
      const lib = make(`small-${++fresh}`);
      await fill(lib, SMALL);
      return lib;
    };
    const addCase = (make: (name: string) => QueueLib, large?: QueueLib): BenchCase => {
      let lib = large;
      return {
        suite: '',
        operation: '',
        library: '',
        concurrency: CONCURRENCY,
        op: (i) => (lib as QueueLib).add({ i }),
        ...(large
          ? {}
          : {
              setup: async () => {
                lib = await smallQueue(make);
              },
              teardown: async () => {
                await lib?.cleanup();
              },
            }),
      };
    };
    await bySize(
      'queue',
      `add (1 job), ${CONCURRENCY} in flight`,
      libs.map(([library, make]) => [library, addCase(make), addCase(make, at(library).lib), [SMALL, at(library).n]]),
    );
    // Drain: a worker with no-op handlers; a producer puts back every job completed (addBulk of
    // REFILL), so the backlog stays at its size. Per completed job, refills included.
    const drainCase = (make: (name: string) => QueueLib, large?: QueueLib): BenchCase => {
      let lib: QueueLib | undefined;
      let worker: { close(): Promise<unknown> } | undefined;
      let completed = 0;
      let refilled = 0;
      let refilling: Promise<unknown> | undefined;
      let first = true;
      const done = completions();
      const refill = () => {
        if (refilling || completed - refilled < REFILL || !lib) return;
        const n = completed - refilled;
        refilled += n;
        refilling = lib.addBulk(Array.from({ length: n }, (_, j) => ({ i: j }))).finally(() => {
          refilling = undefined;
          refill();
        });
      };
      return {
        suite: '',
        operation: '',
        library: '',
        concurrency: 1,
        setup: async () => {
          lib = large ?? (await smallQueue(make));
          completed = 0;
          refilled = 0;
          first = true;
          worker = await lib.startWorker(WORKER_CONCURRENCY, () => {
            completed++;
            done.hit();
            refill();
          });
        },
        teardown: async () => {
          await worker?.close();
          while (refilling) await refilling;
          if (!large) await lib?.cleanup();
        },
        op: async () => {
          if (first) {
            first = false;
            done.reset();
          }
          await done.next();
        },
      };
    };
    await bySize(
      'queue',
      `drain, worker c=${WORKER_CONCURRENCY}, backlog held (per job)`,
      libs.map(([library, make]) => [library, drainCase(make), drainCase(make, at(library).lib), [SMALL, at(library).n]]),
    );
    for (const { lib } of big.values()) await lib.cleanup();

    // ---- Sessions: SMALL and LARGE live sessions, each population in an empty database of its own.
    const dbs: number[] = [];
    for (let d = 15; d >= 1 && dbs.length < 2; d--) if ((await keyspace(io, d)).keys === 0) dbs.push(d);
    if (dbs.length < 2) throw new Error('scale bench: needs two empty databases in 1..15');
    const populations = [SMALL, LARGE].map((target, k) => {
      const client = new Redis(ctx.redisUrl, { db: dbs[k] });
      const sessions = new SessionStore({ connection: RedisConnection.from(client, { prefix: 'scale' }) });
      return { n: target, created: 0, client, sessions, tokens: [] as string[] };
    });
    for (const p of populations) {
      p.created = await loadUpTo(`SessionStore.create: sessions (db ${p.client.options.db})`, p.n, (a, b) =>
        pump(b - a, 1000, async (i) => {
          p.tokens[a + i] = (await p.sessions.create(entityId('user', a + i), { role: 'nurse', ward: 'cardiology' })).token;
        }),
      );
      // Creating a million sessions takes minutes on a busy machine: the rest of the population are
      // copies (COPY keeps the TTL) of one created session and its user index under fresh names of the
      // documented layout, prefix:session:{tag}:s:<id> and prefix:session:{tag}:idx.
      if (p.created < p.n) {
        const [source] = (await p.client.scan('0', 'MATCH', 'scale:session:*:s:*', 'COUNT', 10_000))[1];
        if (!source) throw new Error('scale bench: no session to copy');
        const index = `${source.slice(0, source.indexOf('}') + 1)}:idx`;
        await loadUpTo(`COPY of a session and its index: sessions (db ${p.client.options.db})`, p.n - p.created, (a, b) =>
          pump(Math.ceil((b - a) / 250), 8, (c) => {
            const pipeline = p.client.pipeline();
            for (let i = a + c * 250; i < Math.min(b, a + (c + 1) * 250); i++) {
              const tag = `{${entityId('copy', i).padEnd(22, 'x')}}`;
              pipeline.copy(source, `scale:session:${tag}:s:${randomBytes(32).toString('base64url')}`);
              pipeline.copy(index, `scale:session:${tag}:idx`);
            }
            return pipeline.exec();
          }),
        );
      }
    }
    const getCase = (p: (typeof populations)[number]): BenchCase => ({
      suite: '',
      operation: '',
      library: '',
      concurrency: CONCURRENCY,
      // A random session each time: the large population does not fit in the CPU caches.
      op: () => p.sessions.get(p.tokens[Math.floor(Math.random() * p.created)] as string),
    });
    await bySize('session', 'SessionStore.get (+ slide), random session', [
      ['redis-patterns', getCase(populations[0]!), getCase(populations[1]!), [SMALL, populations[1]!.n]],
    ]);
    for (const p of populations) {
      await deletePrefix(p.client, 'scale:');
      p.client.disconnect();
    }

    // ---- Leaderboard: boards of SMALL and LARGE members.
    const boards = [SMALL, LARGE].map((n) => ({ n, board: new Leaderboard({ connection, name: `board-${n}` }) }));
    for (const b of boards) {
      b.n = await loadUpTo('Leaderboard.add: members', b.n, (from, to) =>
        pump(to - from, 1000, (i) => b.board.add(entityId('member', from + i), (from + i) % 100_000)),
      );
    }
    const member = (n: number) => entityId('member', Math.floor(Math.random() * n));
    const boardCase = (op: (b: (typeof boards)[number]) => Promise<unknown>): [BenchCase, BenchCase] => {
      const [small, large] = boards.map(
        (b): BenchCase => ({ suite: '', operation: '', library: '', concurrency: CONCURRENCY, op: () => op(b) }),
      );
      return [small!, large!];
    };
    for (const [operation, op] of [
      ['rank(random member)', (b) => b.board.rank(member(b.n))],
      ['top(10)', (b) => b.board.top(10)],
      ['increment(random member, 1)', (b) => b.board.increment(member(b.n), 1)],
    ] as [string, (b: (typeof boards)[number]) => Promise<unknown>][]) {
      await bySize('leaderboard', operation, [['redis-patterns', ...boardCase(op), [SMALL, boards[1]!.n]]]);
    }
    await deletePrefix(io, 'scale:leaderboard:');

    // ---- Cache tags: a tag of TAG_SMALL entries and one of TAG_LARGE.
    const cache = new Cache({ connection, ttlMs: 600_000, timeoutMs: 60_000 });
    const defaultCache = new Cache({ connection, ttlMs: 600_000 }); // timeoutMs 500 ms, the default
    const tagged = (tag: string, n: number) => (i: number) => cache.set(`${tag}-${entityId('key', i % n)}`, { i }, { tags: [tag] });
    const loadTag = (tag: string, n: number) => pump(n, 500, tagged(tag, n));
    const bigTag = await loadUpTo('Cache.set with one tag: entries', TAG_LARGE, (a, b) =>
      pump(b - a, 500, (i) => tagged('big', TAG_LARGE)(a + i)),
    );
    await loadTag('small', TAG_SMALL);
    await bySize('cache', 'set with 1 tag (overwrites an entry of the tag)', [
      [
        'redis-patterns',
        { suite: '', operation: '', library: '', concurrency: CONCURRENCY, op: tagged('small', TAG_SMALL) },
        { suite: '', operation: '', library: '', concurrency: CONCURRENCY, op: tagged('big', bigTag) },
        [TAG_SMALL, bigTag],
      ],
    ]);
    const invalidations: string[][] = [];
    const stats = new CommandStats(ctx.redisUrl);
    const admin = new Redis(ctx.redisUrl);
    const [, slowerThan] = (await admin.config('GET', 'slowlog-log-slower-than')) as [string, string];
    const [, maxLen] = (await admin.config('GET', 'slowlog-max-len')) as [string, string];
    try {
      await admin.config('SET', 'slowlog-log-slower-than', '0');
      await admin.config('SET', 'slowlog-max-len', '100000');
      // `loaded`: the tag's entries are there already for the first run.
      const invalidate = async (c: Cache, label: string, tag: string, n: number, reps: number, loaded = false) => {
        const wall: number[] = [];
        let cpuUs = 0;
        let calls = 0;
        let longest = { us: 0, command: '' };
        let pingMax = 0;
        let pings = 0;
        let outcome = 'ok';
        for (let r = 0; r < reps; r++) {
          if (r > 0 || !loaded) await loadTag(tag, n);
          await admin.slowlog('RESET');
          const before = await stats.total();
          let pinging = true;
          const pinger = (async () => {
            const p = new Redis(ctx.redisUrl);
            while (pinging) {
              const t = performance.now();
              await p.ping();
              pings++;
              pingMax = Math.max(pingMax, performance.now() - t);
              await sleep(1);
            }
            p.disconnect();
          })();
          const t0 = performance.now();
          try {
            await c.invalidateTag(tag);
          } catch (err) {
            outcome = `rejected: ${(err as Error).name} after ${fmt.int(performance.now() - t0)} ms`;
          }
          wall.push(performance.now() - t0);
          pinging = false;
          await pinger;
          const after = await stats.total();
          cpuUs += after.cpuUs - before.cpuUs;
          calls += after.calls - before.calls - pings;
          pings = 0;
          for (const entry of (await admin.slowlog('GET', -1)) as [number, number, number, string[]][]) {
            const [, , us, args] = entry;
            const name = String(args[0]).toUpperCase();
            if (['SLOWLOG', 'INFO', 'PING', 'CONFIG'].includes(name)) continue;
            // SLOWLOG keeps 32 arguments at most, the last one then saying how many more there were.
            const more = Number(/^\.\.\. \((\d+) more arguments\)$/.exec(String(args[args.length - 1]))?.[1] ?? 0);
            const argc = more ? args.length - 2 + more : args.length - 1;
            if (us > longest.us) longest = { us, command: `${name} (${fmt.int(argc)} args)` };
          }
        }
        const left = await io.zcard(`scale:cache:{b0}:t:${tag}`);
        wall.sort((a, b) => a - b);
        invalidations.push([
          label,
          fmt.int(n),
          String(reps),
          fmt.one(wall[Math.floor(wall.length / 2)] ?? 0),
          fmt.int(calls / reps),
          fmt.int(cpuUs / reps),
          `${fmt.int(longest.us)} µs: ${longest.command}`,
          fmt.one(pingMax),
          outcome + (left ? `; ${fmt.int(left)} entries left in the index` : ''),
        ]);
        await io.unlink(`scale:cache:{b0}:t:${tag}`);
      };
      await invalidate(cache, 'invalidateTag (timeoutMs 60 s)', 'small', TAG_SMALL, 50);
      await invalidate(cache, 'invalidateTag (timeoutMs 60 s)', 'big', bigTag, 1, true);
      await invalidate(defaultCache, 'invalidateTag (default timeoutMs 500 ms)', 'big', bigTag, 1);
    } finally {
      await admin.config('SET', 'slowlog-log-slower-than', slowerThan);
      await admin.config('SET', 'slowlog-max-len', maxLen);
      await admin.slowlog('RESET');
      admin.disconnect();
      await stats.close();
      await cache.close();
      await defaultCache.close();
    }
    await deletePrefix(io, 'scale:cache:');

    ctx.section(
      'Cost as work grows',
      `The same operation on a small and a large population, measured side by side in alternating rounds (the rows above, suite "scale: ..."). Redis µs/op is the server's CPU time (INFO cpu) per operation over all rounds. A ratio near 1.00 means the cost does not grow with the population; compare ratios, not ops/s across runs. Sizes are what was loaded (see below: a load stops after BENCH_SCALE_LOAD_MS). The large session database holds the sessions SessionStore.create made within the load time and, to reach the size, copies of one of them and its user index (COPY); get reads random created sessions.\n\n${mdTable(
        [
          'operation',
          'sizes',
          'ops/s small',
          'ops/s large',
          'ops/s large / small',
          'Redis µs/op small',
          'Redis µs/op large',
          'Redis µs large / small',
        ],
        pairs.map((p) => [
          p.what,
          `${size(p.smallSize)} → ${size(p.largeSize)}`,
          fmt.int(p.small.opsPerSec),
          fmt.int(p.large.opsPerSec),
          `${fmt.two(p.large.opsPerSec / p.small.opsPerSec)}x`,
          fmt.one(p.small.redisUsPerOp),
          fmt.one(p.large.redisUsPerOp),
          `${fmt.two(p.large.redisUsPerOp / Math.max(0.001, p.small.redisUsPerOp))}x`,
        ]),
        [2, 3, 4, 5, 6, 7],
      )}\n\nLoading the large populations (addBulk of 1,000 with 4 calls in flight, or 1,000 single calls in flight):\n\n${mdTable(
        ['load', 'items', 's', 'items/s', ''],
        loads,
        [1, 2, 3],
      )}\n\nTag invalidation (standalone: one slot bucket). Each run first loads the tag's entries; "commands" and "Redis CPU" are INFO deltas over the invalidation; "longest command" is the slowest single command in SLOWLOG (threshold 0 during the run), i.e. how long Redis served nobody else; "worst PING" is the slowest round trip of another client pinging meanwhile.\n\n${mdTable(
        ['call', 'entries', 'runs', 'median ms', 'commands', 'Redis CPU µs', 'longest command', 'worst PING ms', 'outcome'],
        invalidations,
        [1, 2, 3, 4, 5, 7],
      )}`,
    );
  } finally {
    await connection.close();
    io.disconnect();
  }
}

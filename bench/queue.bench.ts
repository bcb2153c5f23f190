// StreamQueue vs BullMQ on one redis-server, same ioredis client library, same concurrency:
// enqueue (single and bulk), drain of a backlog with no-op handlers, and end-to-end
// add-to-completed with 50 jobs in flight. cmds/op counts every Redis call, inner Lua
// calls included. Drain rows: per job, processing only (the backlog is filled before the
// measurement; a top-up, if the backlog ever runs low, would be counted too). End-to-end
// rows: per job, add and processing. The operations rows drain the same way with a queue-wide
// concurrency limit (ours `globalConcurrency`, BullMQ's `setGlobalConcurrency`) and with rate
// limits set high enough not to bind, so they show what the limit itself costs per job (ours:
// the queue-wide `rateLimit` and the per-group `groupRateLimit` over 10 groups; BullMQ's free
// edition has only the worker's queue-wide `limiter`).
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { StreamQueue, type StreamQueueOptions } from 'redis-patterns/queue';
import type { BenchContext } from './lib/types.js';

const CONCURRENCY = 50;
const BULK = 100;
// The operations rows: a queue-wide concurrency limit below the worker's, and rates that do not bind.
const GLOBAL_CONCURRENCY = 20;
const HIGH_RATE = { limit: 1_000_000, windowMs: 1000 };
const GROUPS = 10;
// Rounds of the alternating comparison (as bench/run.ts): the drain backlog is sized per round.
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));

interface Lib {
  add(data: { i: number }): Promise<unknown>;
  addBulk(jobs: { i: number }[]): Promise<unknown>;
  /** Starts a worker with no-op handlers; `onDone` gets each completed job's data. */
  startWorker(onDone: (data: { i: number }) => void): Promise<{ close(): Promise<unknown> }>;
  cleanup(): Promise<unknown>;
}

// Completion counter for the drain rows: each op resolves on the next completed job.
function completions() {
  let banked = 0;
  const waiters: (() => void)[] = [];
  return {
    /** Forgets completions nobody waited for (those before a measurement started). */
    reset() {
      banked = 0;
    },
    hit() {
      const w = waiters.shift();
      if (w) w();
      else banked++;
    },
    next(): Promise<void> {
      if (banked > 0) {
        banked--;
        return Promise.resolve();
      }
      return new Promise((r) => waiters.push(r));
    },
  };
}

export default async function queueBench(ctx: BenchContext): Promise<void> {
  const url = new URL(ctx.redisUrl);
  const bullConnection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  const client = new Redis(ctx.redisUrl);
  const connection = RedisConnection.from(client, { prefix: 'bench' });
  let run = 0;

  const ours = (options: Partial<StreamQueueOptions> = {}, grouped = false): Lib => {
    const queue = new StreamQueue<{ i: number }>({ connection, name: `q${++run}`, ...options });
    const opts = (data: { i: number }) => (grouped ? { group: `g${data.i % GROUPS}` } : {});
    return {
      add: (data) => queue.add('job', data, opts(data)),
      addBulk: (jobs) => queue.addBulk(jobs.map((data) => ({ name: 'job', data, options: opts(data) }))),
      async startWorker(onDone) {
        const worker = await queue.process(() => undefined, { concurrency: CONCURRENCY });
        worker.on('completed', (job) => onDone(job.data));
        return worker;
      },
      cleanup: () => Promise.all(Object.values(queue.keys).map((k) => client.del(k))),
    };
  };
  const bull = (workerOptions: { limiter?: { max: number; duration: number } } = {}, globalConcurrency = 0): Lib => {
    const name = `bull${++run}`;
    const queue = new BullQueue(name, { connection: bullConnection, prefix: 'bench-bull' });
    const ready = globalConcurrency > 0 ? queue.setGlobalConcurrency(globalConcurrency) : Promise.resolve(0);
    return {
      add: (data) => queue.add('job', data),
      addBulk: (jobs) => queue.addBulk(jobs.map((data) => ({ name: 'job', data }))),
      async startWorker(onDone) {
        await ready;
        const worker = new BullWorker(name, async () => undefined, {
          connection: bullConnection,
          prefix: 'bench-bull',
          concurrency: CONCURRENCY,
          ...workerOptions,
          // Like StreamQueue, which deletes a job's entry once it completed.
          removeOnComplete: { count: 0 },
        });
        worker.on('completed', (job) => onDone(job.data));
        await worker.waitUntilReady();
        return worker;
      },
      cleanup: async () => {
        await queue.obliterate({ force: true });
        await queue.close();
      },
    };
  };
  const libs: [string, () => Lib][] = [
    ['redis-patterns', () => ours()],
    ['bullmq', () => bull()],
  ];
  const reference = (library: string) => (library === 'bullmq' ? undefined : 'bullmq');

  // Every case makes a fresh queue in its setup (each round, outside the timing) and removes it after.
  const fresh = (library: string, make: () => Lib) => {
    const state: { lib?: Lib } = {};
    return {
      state,
      setup: async () => {
        state.lib = make();
      },
      teardown: async () => {
        await state.lib?.cleanup();
      },
      reference: reference(library),
    };
  };
  try {
    await ctx.compare(
      libs.map(([library, make]) => {
        const { state, ...hooks } = fresh(library, make);
        return {
          suite: 'queue',
          operation: 'add (1 job)',
          library,
          concurrency: CONCURRENCY,
          op: (i) => (state.lib as Lib).add({ i }),
          ...hooks,
        };
      }),
    );
    const jobs = (i: number) => Array.from({ length: BULK }, (_, j) => ({ i: i * BULK + j }));
    await ctx.compare(
      libs.map(([library, make]) => {
        const { state, ...hooks } = fresh(library, make);
        return {
          suite: 'queue',
          operation: `addBulk (${BULK} jobs)`,
          library,
          concurrency: 4,
          op: (i) => (state.lib as Lib).addBulk(jobs(i)),
          ...hooks,
        };
      }),
    );

    // Drain: a backlog filled in the setup (topped up if it ever runs low), each op = one completed job.
    // The worker starts in the setup too; completions before the first measured op are not counted.
    const drain = (operation: string, cases: [string, () => Lib][], reference: (library: string) => string | undefined) =>
      ctx.compare(
        cases.map(([library, make]) => {
          let lib: Lib | undefined;
          let worker: { close(): Promise<unknown> } | undefined;
          let added = 0;
          let completed = 0;
          let topping = false;
          let first = true;
          const done = completions();
          const fill = async (n: number) => {
            for (let k = 0; k < n; k += 1000) await (lib as Lib).addBulk(Array.from({ length: 1000 }, () => ({ i: added++ })));
          };
          return {
            suite: 'queue',
            operation,
            library,
            concurrency: 1,
            reference: reference(library),
            setup: async () => {
              lib = make();
              added = 0;
              completed = 0;
              first = true;
              await fill(Math.ceil((library === 'bullmq' ? 40 : 150) * (ctx.durationMs / ROUNDS + 800)));
              worker = await lib.startWorker(() => {
                completed++;
                done.hit();
              });
            },
            teardown: async () => {
              await worker?.close();
              while (topping) await new Promise((r) => setTimeout(r, 10));
              await lib?.cleanup();
            },
            op: async () => {
              if (first) {
                first = false;
                done.reset();
              }
              if (!topping && added - completed < 20_000) {
                topping = true;
                void fill(20_000).finally(() => {
                  topping = false;
                });
              }
              await done.next();
            },
          };
        }),
      );
    await drain(`drain no-op (worker c=${CONCURRENCY}), per job`, libs, reference);

    // End to end: 50 callers, each adds a job and waits until a worker completed it.
    await ctx.compare(
      libs.map(([library, make]) => {
        let lib: Lib | undefined;
        let worker: { close(): Promise<unknown> } | undefined;
        const waiting = new Map<number, () => void>();
        return {
          suite: 'queue',
          operation: `add → completed, ${CONCURRENCY} in flight`,
          library,
          concurrency: CONCURRENCY,
          reference: reference(library),
          setup: async () => {
            lib = make();
            worker = await lib.startWorker((data) => {
              waiting.get(data.i)?.();
              waiting.delete(data.i);
            });
          },
          teardown: async () => {
            await worker?.close();
            await lib?.cleanup();
          },
          op: async (i) => {
            const done = new Promise<void>((r) => waiting.set(i, r));
            await (lib as Lib).add({ i });
            await done;
          },
        };
      }),
    );

    // Operations: the same drain with a queue-wide concurrency limit, and with rate limits that do not bind.
    const bullmqRef = (library: string) => (library === 'bullmq' ? undefined : 'bullmq');
    await drain(
      `drain no-op, queue-wide concurrency ${GLOBAL_CONCURRENCY} (worker c=${CONCURRENCY}), per job`,
      [
        ['redis-patterns globalConcurrency', () => ours({ globalConcurrency: GLOBAL_CONCURRENCY })],
        ['bullmq', () => bull({}, GLOBAL_CONCURRENCY)],
      ],
      bullmqRef,
    );
    await drain(
      `drain no-op, rate limit 1M/s not binding (worker c=${CONCURRENCY}), per job`,
      [
        ['redis-patterns rateLimit', () => ours({ rateLimit: HIGH_RATE })],
        [`redis-patterns groupRateLimit, ${GROUPS} groups`, () => ours({ groupRateLimit: HIGH_RATE }, true)],
        ['bullmq', () => bull({ limiter: { max: HIGH_RATE.limit, duration: HIGH_RATE.windowMs } })],
      ],
      bullmqRef,
    );
  } finally {
    await client.quit();
  }
}

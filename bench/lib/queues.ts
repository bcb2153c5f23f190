// StreamQueue and BullMQ behind one small interface, for benches that fill, add to and
// drain both the same way.
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisConnection } from 'redis-patterns';
import { StreamQueue } from 'redis-patterns/queue';
import { deletePrefix, pump } from './keyspace.js';

export interface QueueLib {
  add(data: { i: number }): Promise<unknown>;
  addBulk(jobs: { i: number }[]): Promise<unknown>;
  /** Starts a worker with no-op handlers (`concurrency` jobs at once); `onDone` runs per completed job. */
  startWorker(concurrency: number, onDone: () => void): Promise<{ close(): Promise<unknown> }>;
  /** Deletes the queue's keys and releases its clients. */
  cleanup(): Promise<unknown>;
}

/** A StreamQueue named `name` on `connection`; `client` is the connection's own client (for cleanup). */
export function streamQueueLib(connection: RedisConnection, client: Redis, name: string): QueueLib {
  const queue = new StreamQueue<{ i: number }>({ connection, name });
  return {
    add: (data) => queue.add('job', data),
    addBulk: (jobs) => queue.addBulk(jobs.map((data) => ({ name: 'job', data }))),
    async startWorker(concurrency, onDone) {
      const worker = await queue.process(() => undefined, { concurrency });
      worker.on('completed', onDone);
      return worker;
    },
    cleanup: () => client.unlink(...Object.values(queue.keys)),
  };
}

/**
 * A BullMQ queue named `name` under `prefix`; workers remove completed jobs, as StreamQueue does.
 * `client` (any client to the same server) deletes its keys in cleanup: `obliterate` takes minutes on a large queue.
 */
export function bullLib(
  connection: { host: string; port: number; maxRetriesPerRequest: null },
  client: Redis,
  prefix: string,
  name: string,
): QueueLib {
  const queue = new BullQueue(name, { connection, prefix });
  return {
    add: (data) => queue.add('job', data),
    addBulk: (jobs) => queue.addBulk(jobs.map((data) => ({ name: 'job', data }))),
    async startWorker(concurrency, onDone) {
      const worker = new BullWorker(name, async () => undefined, { connection, prefix, concurrency, removeOnComplete: { count: 0 } });
      worker.on('completed', onDone);
      await worker.waitUntilReady();
      return worker;
    },
    cleanup: async () => {
      await queue.close();
      await deletePrefix(client, `${prefix}:${name}:`);
    },
  };
}

/** Adds `n` jobs in `addBulk` calls of 1,000, eight calls in flight, numbered from `from`. */
export async function fill(lib: QueueLib, n: number, from = 0): Promise<void> {
  await pump(Math.ceil(n / 1000), 8, (c) =>
    lib.addBulk(Array.from({ length: Math.min(1000, n - c * 1000) }, (_, j) => ({ i: from + c * 1000 + j }))),
  );
}

/** Completion counter for drain rows: each `next()` resolves on the next completed job. */
export function completions() {
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

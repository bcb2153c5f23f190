// Pause and resume (the whole queue across processes, and one worker), close() that ends a
// blocking read at once, and delayed jobs run on time without polling.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, stalledJob, waitFor } from './helpers.js';
import { childKeys, startChild } from './processes.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Queue control on ${target} via ${driver}`, () => {
  it('pauses the queue across three worker processes: fetching stops, running jobs finish, resume restarts', async () => {
    const { connection, queue } = await freshQueue<{ n: number }>();
    const keys = childKeys(connection);
    // Long blocking reads: the pause must end them rather than wait them out.
    const children = await Promise.all(
      [0, 1, 2].map((i) =>
        startChild(connection, {
          role: 'worker',
          queue: queue.name,
          consumer: `w${i}`,
          sleepMs: 400,
          workerOptions: { concurrency: 5, blockMs: 10_000 },
        }),
      ),
    );
    expect(children).toHaveLength(3);
    // Jobs running when the pause comes finish.
    await queue.addBulk(Array.from({ length: 6 }, (_, n) => ({ name: 'slow', data: { n } })));
    await waitFor(async () => Number(await connection.send(['LLEN', keys.samples], keys.samples)) === 6, 10_000, 'six jobs running');
    expect(await queue.pause()).toBe(true);
    expect(await queue.pause()).toBe(false);
    expect(await queue.isPaused()).toBe(true);
    await waitFor(async () => Number(await connection.send(['LLEN', keys.done], keys.done)) === 6, 10_000, 'running jobs to finish');
    // Within a second every worker has stopped fetching: jobs added now wait.
    await sleep(1000);
    await queue.addBulk(Array.from({ length: 30 }, (_, n) => ({ name: 'later', data: { n } })));
    await sleep(1500);
    expect(Number(await connection.send(['LLEN', keys.samples], keys.samples))).toBe(6);
    expect(await queue.counts()).toMatchObject({ waiting: 30, pending: 0 });
    expect(await queue.resume()).toBe(true);
    await waitFor(async () => Number(await connection.send(['LLEN', keys.done], keys.done)) === 36, 20_000, 'every job after resume');
    // A child records a job as done when its handler returns, just before the worker acks it.
    await waitFor(async () => Object.keys(await queue.activeByConsumer()).length === 0, 5_000, 'every job acknowledged');
    expect(await queue.activeByConsumer()).toEqual({});
  });

  it('a worker started while the queue is paused fetches nothing until resume', async () => {
    const { queue } = await freshQueue();
    await queue.pause();
    const seen: unknown[] = [];
    const worker = closing(await queue.process((job) => void seen.push(job.data)));
    expect(worker.isPaused).toBe(true);
    await queue.add('x', 1);
    await sleep(500);
    expect(seen).toEqual([]);
    await queue.resume();
    await waitFor(() => seen.length === 1, 5000, 'the job after resume');
    expect(worker.isPaused).toBe(false);
  });

  it('a worker that missed the pause message (queue-wide limit) learns it at its next fetch', async () => {
    const { connection, queue } = await freshQueue<number>({ globalConcurrency: 1 });
    const seen: number[] = [];
    // No maintenance pass after the first: only the fetch can tell it.
    const worker = closing(
      await queue.process((job) => void seen.push(job.data), { promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 }),
    );
    await sleep(200);
    // The pause flag set without its control-channel message (lost while the worker's subscriber reconnected).
    await connection.send(['SET', queue.keys.paused, 1], queue.keys.paused);
    await queue.add('x', 1);
    await sleep(500);
    expect(seen).toEqual([]);
    expect(worker.isPaused).toBe(true);
    await queue.resume();
    await waitFor(() => seen.length === 1, 5000, 'the job after resume');
  });

  it('a paused worker does not take over the jobs of a dead worker; after resume it does', async () => {
    const { connection, queue } = await freshQueue<number>();
    await stalledJob(connection, queue, 1);
    await queue.pause();
    const seen: number[] = [];
    closing(await queue.process((job) => void seen.push(job.data), { visibilityTimeoutMs: 200, promoteIntervalMs: 50 }));
    await sleep(800);
    expect(seen).toEqual([]);
    await queue.resume();
    await waitFor(() => seen.length === 1, 5000, 'the reclaim after resume');
  });

  it('pauses and resumes one worker; the others go on', async () => {
    const { queue } = await freshQueue<number>();
    const a: number[] = [];
    const b: number[] = [];
    const wa = closing(await queue.process((job) => void a.push(job.data), { blockMs: 10_000 }));
    closing(await queue.process((job) => void b.push(job.data), { blockMs: 10_000 }));
    const started = performance.now();
    await wa.pause();
    // The blocking read of 10 s was ended, not waited out.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(wa.isPaused).toBe(true);
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'x', data: i })));
    await waitFor(() => b.length === 20, 5000, 'the other worker to run all');
    expect(a).toEqual([]);
    wa.resume();
    await queue.add('x', 99);
    await waitFor(() => a.length + b.length === 21, 5000, 'the last job');
  });

  it('close() ends a blocking read at once instead of waiting out blockMs', async () => {
    const { queue } = await freshQueue();
    const worker = await queue.process(() => undefined, { blockMs: 30_000 });
    await sleep(100);
    const started = performance.now();
    expect(await worker.close()).toEqual({ abandoned: 0 });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('runs a delayed job added by another producer on time, without polling (promoteIntervalMs 60 s)', async () => {
    const { queue } = await freshQueue<number>();
    const ran = new Map<number, number>();
    closing(await queue.process((job) => void ran.set(job.data, Date.now()), { promoteIntervalMs: 60_000, concurrency: 4 }));
    await sleep(200);
    const wanted = new Map<number, number>();
    for (let i = 0; i < 5; i++) {
      const at = Date.now() + 300 + i * 100;
      wanted.set(i, at);
      await queue.add('remind', i, { runAt: at });
    }
    await waitFor(() => ran.size === 5, 10_000, 'five delayed runs');
    const lateness = [...ran].map(([i, t]) => t - (wanted.get(i) as number));
    // Not before its time; after it by a few ms (generous: a noisy 2-core machine).
    for (const late of lateness) expect(late).toBeGreaterThanOrEqual(-5);
    for (const late of lateness) expect(late).toBeLessThan(250);
  });

  it('a delayed job that is not the earliest costs no announcement; the earliest costs one', async () => {
    const { connection, queue } = await freshQueue();
    await queue.add('first', 1, { delayMs: 60_000 });
    // Sharded (SPUBLISH) on a cluster whose servers have it, as the workers listen.
    const announce = (await connection.shardedPubSub()) ? 'spublish' : 'publish';
    const later = await countCommands(connection, () => queue.add('later', 2, { delayMs: 120_000 }));
    expect(later.byCommand.publish).toBeUndefined();
    expect(later.byCommand.spublish).toBeUndefined();
    const sooner = await countCommands(connection, () => queue.add('sooner', 3, { delayMs: 30_000 }));
    expect(sooner.byCommand[announce]).toBe(1);
  });
});

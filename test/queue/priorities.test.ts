// Durable priorities: prioritized jobs wait in a sorted set and move to the stream only as a
// worker takes them, in one script, so a worker killed mid-batch loses none; urgent jobs
// overtake a backlog of less urgent ones.
import { describe, expect, it } from 'vitest';
import { MAX_PRIORITY, StreamQueue, type Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';
import { childKeys, kill, startChild } from './processes.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

describe(`Durable priorities on ${target} via ${driver}`, () => {
  it('high-priority jobs overtake a backlog of low ones; equal priorities keep their order', async () => {
    const { queue } = await freshQueue<string>({ priorities: true });
    await queue.addBulk(Array.from({ length: 200 }, (_, i) => ({ name: 'report', data: `low-${i}`, options: { priority: 10 } })));
    const order: string[] = [];
    // Each job takes a few ms, so the backlog is still there when the urgent jobs arrive.
    const worker = closing(
      await queue.process(
        async (job) => {
          order.push(job.data);
          await new Promise((r) => setTimeout(r, 3));
        },
        { concurrency: 2 },
      ),
    );
    await waitFor(() => order.length >= 20, 10_000, 'some low jobs');
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'refill', data: `urgent-${i}`, options: { priority: 1 } })));
    await waitFor(() => order.length === 210, 20_000, 'every job');
    const firstUrgent = order.findIndex((d) => d.startsWith('urgent'));
    const lastUrgent = order.map((d) => d.startsWith('urgent')).lastIndexOf(true);
    // They ran right after they were added, not after the 180 low ones still waiting.
    expect(lastUrgent - firstUrgent).toBeLessThan(20);
    expect(lastUrgent).toBeLessThan(100);
    const urgent = order.filter((d) => d.startsWith('urgent'));
    expect(urgent).toEqual(Array.from({ length: 10 }, (_, i) => `urgent-${i}`));
    // The last handlers finish their few ms after recording their job.
    await waitFor(() => worker.running === 0, 5_000, 'the worker to go idle');
  });

  it('a worker killed with SIGKILL mid-batch loses no prioritized job', async () => {
    const { connection, queue } = await freshQueue<{ n: number }>({ priorities: true });
    const keys = childKeys(connection);
    const N = 120;
    await queue.addBulk(Array.from({ length: N }, (_, n) => ({ name: 'sync', data: { n }, options: { priority: n % 3 } })));
    const doomed = await startChild(connection, {
      role: 'worker',
      queue: queue.name,
      consumer: 'doomed',
      sleepMs: 20,
      queueOptions: { priorities: true },
      workerOptions: { concurrency: 10, visibilityTimeoutMs: 600 },
    });
    await waitFor(async () => Number(await connection.send(['LLEN', keys.done], keys.done)) >= 20, 10_000, 'the child to work');
    await kill(doomed);
    const survivor = new Set<string>();
    closing(await queue.process((job) => void survivor.add(job.id), { concurrency: 10, visibilityTimeoutMs: 600, promoteIntervalMs: 100 }));
    await waitFor(
      async () => {
        const done = new Set((await connection.send(['LRANGE', keys.done, 0, -1], keys.done)) as string[]);
        for (const id of survivor) done.add(id);
        return done.size === N;
      },
      20_000,
      'every job',
    );
    await waitFor(async () => (await queue.counts()).pending === 0, 5000, 'acks');
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('a failed prioritized job retries at its priority; getJob shows a waiting one as prioritized', async () => {
    const { queue } = await freshQueue<string>({ priorities: true });
    const { id } = await queue.add('x', 'a', { priority: 7 });
    expect(await queue.getJob(id)).toMatchObject({ state: 'prioritized', priority: 7, data: 'a' });
    let tries = 0;
    const worker = closing(
      await queue.process(
        (job) => {
          tries++;
          expect(job.priority).toBe(7);
          if (tries < 2) throw new Error('once');
        },
        { backoff: { baseMs: 10, jitter: 0 } },
      ),
    );
    let completed = 0;
    worker.on('completed', () => completed++);
    await waitFor(() => completed === 1, 5000, 'the retry');
    expect(tries).toBe(2);
  });

  it('getJob follows a prioritized job into the stream: active with its consumer once taken, then gone', async () => {
    const { queue } = await freshQueue<string>({ priorities: true });
    const { id } = await queue.add('x', 'a', { priority: 3 });
    const [gate, release] = latch();
    const worker = closing(await queue.process(() => gate, { consumer: 'prio-worker' }));
    let completed = 0;
    worker.on('completed', () => completed++);
    await waitFor(() => worker.running === 1, 5000, 'the job to run');
    expect(await queue.getJob(id)).toMatchObject({ id, state: 'active', consumer: 'prio-worker', data: 'a', priority: 3 });
    release();
    await waitFor(() => completed === 1, 5000, 'the job to complete');
    expect(await queue.getJob(id)).toBeUndefined();
    // Nothing left behind: no prioritized member, no payload, no place.
    const { prioritized, payloads, ids } = queue.keys;
    expect(Number(await queue.connection.send(['EXISTS', prioritized, payloads, ids], ids))).toBe(0);
  });

  it('a worker takes only the jobs it runs: an urgent job added while it is busy runs next; idle, it waits without errors', async () => {
    const { queue } = await freshQueue<string>({ priorities: true });
    await queue.addBulk(['a', 'b', 'c'].map((data) => ({ name: 'x', data, options: { priority: 5 } })));
    const [gate, release] = latch();
    const order: string[] = [];
    const worker = closing(
      await queue.process(
        async (job) => {
          order.push(job.data);
          if (job.data === 'a') await gate;
        },
        { concurrency: 1 },
      ),
    );
    const errors: Error[] = [];
    worker.on('error', (e) => errors.push(e));
    await waitFor(() => order.length === 1, 5000, 'the first job');
    expect(await queue.counts()).toMatchObject({ waiting: 2, pending: 1 });
    await queue.add('x', 'urgent', { priority: 0 });
    release();
    await waitFor(() => order.length === 4, 5000, 'every job');
    expect(order).toEqual(['a', 'urgent', 'b', 'c']);
    // Nothing left to take: its reads come back empty, quietly.
    await new Promise((r) => setTimeout(r, 300));
    expect(errors).toEqual([]);
  });

  it('validates priorities: 0 to MAX_PRIORITY on a queue with priorities only', async () => {
    const { connection, queue } = await freshQueue({ priorities: true });
    const plain = new StreamQueue({ connection, name: 'plain' });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => plain.add('x', 1, { priority: 1 }), 'options.priority', /priorities: true/);
      await expectInvalid(() => queue.add('x', 1, { priority: MAX_PRIORITY + 1 }), 'options.priority');
      await expectInvalid(() => queue.add('x', 1, { priority: -1 }), 'options.priority');
      await expectInvalid(() => queue.add('x', 1, { priority: 1.5 }), 'options.priority');
    });
    expect(total).toBe(0);
    expect((await queue.add('x', 1, { priority: MAX_PRIORITY })).added).toBe(true);
    expect((await queue.add('x', 1, { priority: 0 })).added).toBe(true);
  });
});

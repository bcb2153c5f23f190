// Queue-wide concurrency: at most N jobs of a queue run at once across every worker process,
// enforced in Redis with leases; a worker that dies frees its slots by itself.
import { describe, expect, it } from 'vitest';
import { MAX_GLOBAL_CONCURRENCY, StreamQueue, type Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { closeAfterTest, freshQueue, latch, stalledJob, waitFor } from './helpers.js';
import { childKeys, kill, startChild } from './processes.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

/** A handler that records every job it runs and holds the one whose data is `held` until `release()`. */
function holdingOne(held: string) {
  const [gate, release] = latch();
  const ran: string[] = [];
  const handler = async (job: { data: string }) => {
    ran.push(job.data);
    if (job.data === held) await gate;
  };
  return { ran, release, handler };
}

describe(`Queue-wide concurrency on ${target} via ${driver}`, () => {
  it('never runs more than 5 at once across three processes of 20 slots each (sampled in Redis)', async () => {
    const { connection, queue } = await freshQueue<{ n: number }>({ globalConcurrency: 5 });
    const keys = childKeys(connection);
    await Promise.all(
      [0, 1, 2].map((i) =>
        startChild(connection, {
          role: 'worker',
          queue: queue.name,
          consumer: `w${i}`,
          sleepMs: 30,
          queueOptions: { globalConcurrency: 5 },
          workerOptions: { concurrency: 20 },
        }),
      ),
    );
    const N = 150;
    await queue.addBulk(Array.from({ length: N }, (_, n) => ({ name: 'sync', data: { n } })));
    let peakLeases = 0;
    let done = 0;
    while (done < N) {
      // Leases in Redis, sampled as the jobs run.
      peakLeases = Math.max(peakLeases, Number(await connection.send(['ZCARD', queue.keys.active], queue.keys.active)));
      done = Number(await connection.send(['LLEN', keys.done], keys.done));
      await new Promise((r) => setTimeout(r, 5));
    }
    // Each handler counted itself in Redis when it started.
    const samples = ((await connection.send(['LRANGE', keys.samples, 0, -1], keys.samples)) as string[]).map(Number);
    expect(samples).toHaveLength(N);
    expect(Math.max(...samples)).toBeLessThanOrEqual(5);
    expect(Math.max(...samples)).toBe(5);
    expect(peakLeases).toBeLessThanOrEqual(5);
    // All three processes took part.
    const by = (await connection.send(['HVALS', keys.deliveries], keys.deliveries)) as string[];
    expect(by).toHaveLength(N);
    await waitFor(async () => (await queue.counts()).pending === 0, 5000, 'acks');
    expect(Number(await connection.send(['ZCARD', queue.keys.active], queue.keys.active))).toBe(0);
  });

  it('slots of a worker killed with SIGKILL free up after its visibility timeout; its jobs are reclaimed', async () => {
    const { connection, queue } = await freshQueue<{ n: number }>({ globalConcurrency: 2 });
    const keys = childKeys(connection);
    const doomed = await startChild(connection, {
      role: 'worker',
      queue: queue.name,
      consumer: 'doomed',
      sleepMs: 60_000,
      queueOptions: { globalConcurrency: 2 },
      workerOptions: { concurrency: 10, visibilityTimeoutMs: 800 },
    });
    await queue.addBulk(Array.from({ length: 6 }, (_, n) => ({ name: 'sync', data: { n } })));
    await waitFor(async () => Number(await connection.send(['LLEN', keys.samples], keys.samples)) === 2, 10_000, 'two running');
    await kill(doomed);
    const ran: number[] = [];
    closing(await queue.process((job) => void ran.push(job.data.n), { concurrency: 10, visibilityTimeoutMs: 800, promoteIntervalMs: 100 }));
    await waitFor(() => new Set(ran).size === 6, 15_000, 'every job through the survivor');
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('a job running past the visibility timeout keeps its slot and its worker: the heartbeat extends the lease', async () => {
    const { connection, queue } = await freshQueue<string>({ globalConcurrency: 1 });
    const runs: string[] = [];
    let running = 0;
    let peak = 0;
    const handler = async (job: { data: string }) => {
      runs.push(job.data);
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, job.data === 'slow' ? 1200 : 10));
      running--;
    };
    const opts = { visibilityTimeoutMs: 300, promoteIntervalMs: 50 };
    const workers = [closing(await queue.process(handler, opts)), closing(await queue.process(handler, opts))];
    let stalled = 0;
    let completed = 0;
    const errors: Error[] = [];
    for (const w of workers) {
      w.on('stalled', () => stalled++);
      w.on('completed', () => completed++);
      w.on('error', (e) => errors.push(e));
    }
    await queue.add('report', 'slow');
    await waitFor(() => runs.length === 1, 5000, 'the slow job to start');
    await queue.add('report', 'quick');
    // Four visibility timeouts later the slow job still holds the only slot.
    await new Promise((r) => setTimeout(r, 900));
    expect(runs).toEqual(['slow']);
    expect(Number(await connection.send(['ZCARD', queue.keys.active], queue.keys.active))).toBe(1);
    await waitFor(() => completed === 2, 5000, 'both jobs');
    expect(runs).toEqual(['slow', 'quick']);
    expect(peak).toBe(1);
    expect(stalled).toBe(0);
    // The other worker found the limit full all along: it waited, without errors.
    expect(errors).toEqual([]);
  });

  it('a worker that hung past its lease does not take its slot back: leases never exceed the limit', async () => {
    const { connection, queue } = await freshQueue<{ n: number }>({ globalConcurrency: 1 });
    const keys = childKeys(connection);
    const hung = await startChild(connection, {
      role: 'worker',
      queue: queue.name,
      consumer: 'hung',
      sleepMs: 5000,
      queueOptions: { globalConcurrency: 1 },
      workerOptions: { visibilityTimeoutMs: 300, promoteIntervalMs: 50 },
    });
    const { id: first } = await queue.add('sync', { n: 1 });
    await waitFor(async () => Number(await connection.send(['LLEN', keys.samples], keys.samples)) === 1, 10_000, 'the first job to run');
    // Frozen (a long GC pause, a stopped VM): its heartbeat stops, its lease lapses, the slot goes to the next job.
    hung.kill('SIGSTOP');
    const [gate, release] = latch();
    const ran: number[] = [];
    closing(
      await queue.process(
        async (job) => {
          ran.push(job.data.n);
          await gate;
        },
        { consumer: 'next', visibilityTimeoutMs: 60_000, promoteIntervalMs: 50 },
      ),
    );
    await queue.add('sync', { n: 2 });
    await waitFor(() => ran.length === 1, 10_000, 'the next job to take the lapsed slot');
    expect(ran).toEqual([2]);
    // Thawed, the hung worker's heartbeat claims its job again but leaves the slot to the job holding it.
    const resumedAt = Date.now();
    hung.kill('SIGCONT');
    await waitFor(async () => ((await queue.getJob(first))?.claimedAt ?? 0) >= resumedAt, 10_000, 'the thawed heartbeat');
    expect(Number(await connection.send(['ZCARD', queue.keys.active], queue.keys.active))).toBe(1);
    release();
  });

  it('an idle worker waits for work without errors and runs a job added later', async () => {
    const { queue } = await freshQueue<number>({ globalConcurrency: 2 });
    const worker = closing(await queue.process((job) => job.data * 2, { blockMs: 200 }));
    const errors: Error[] = [];
    worker.on('error', (e) => errors.push(e));
    const results: unknown[] = [];
    worker.on('completed', (_job, result) => results.push(result));
    // Empty: it found nothing, waits on the stream and the signal stream, finds nothing again.
    await new Promise((r) => setTimeout(r, 500));
    await queue.add('x', 21);
    await waitFor(() => results.length === 1, 5000, 'the job');
    expect(results).toEqual([42]);
    expect(errors).toEqual([]);
  });

  it('a running job whose entry maxLen trimmed away finishes without errors', async () => {
    const { queue } = await freshQueue<number>({ globalConcurrency: 1, maxLen: 10 });
    const [gate, release] = latch();
    const worker = closing(
      await queue.process(async (job) => (job.data === 0 ? gate : undefined), { visibilityTimeoutMs: 300, promoteIntervalMs: 50 }),
    );
    const errors: Error[] = [];
    worker.on('error', (e) => errors.push(e));
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.add('x', 0);
    await waitFor(() => worker.running === 1, 5000, 'the first job to run');
    // Load shedding: the oldest entries, the running job's among them, are trimmed.
    await queue.addBulk(Array.from({ length: 300 }, (_, i) => ({ name: 'x', data: i + 1 })));
    expect((await queue.counts()).waiting).toBeLessThan(300);
    // Heartbeats come every 100 ms while it runs.
    await new Promise((r) => setTimeout(r, 500));
    release();
    await waitFor(() => completed >= 2, 5000, 'the next jobs');
    expect(errors).toEqual([]);
  });

  it('a worker facing a full limit waits for a freed slot instead of polling, and starts at once when it frees', async () => {
    const { connection, queue } = await freshQueue<string>({ globalConcurrency: 1 });
    const [gate, release] = latch();
    const started: string[] = [];
    const handler = async (job: { data: string }) => {
      started.push(job.data);
      if (job.data === 'long') await gate;
    };
    const opts = { blockMs: 5000, visibilityTimeoutMs: 60_000 };
    const holder = closing(await queue.process(handler, opts));
    await queue.add('x', 'long');
    await waitFor(() => holder.running === 1, 5000, 'the long job');
    closing(await queue.process(handler, opts));
    await queue.add('x', 'next');
    // The slot stays taken for a minute (the lease): a second of waiting costs a read or two.
    const { byCommand } = await countCommands(connection, () => new Promise((r) => setTimeout(r, 1000)));
    expect(byCommand.xread ?? 0).toBeLessThanOrEqual(2);
    expect(started).toEqual(['long']);
    const freedAt = performance.now();
    release();
    await waitFor(() => started.length === 2, 5000, 'the next job');
    // Woken by the freed slot, not at the end of its 5 s wait.
    expect(performance.now() - freedAt).toBeLessThan(2000);
  });

  it('a reclaim takes stalled jobs only into free slots of the limit', async () => {
    const { connection, queue } = await freshQueue<string>({ globalConcurrency: 1 });
    // A consumer that fetched it and died: no lease left, the job pending.
    await stalledJob(connection, queue, 'stalled');
    const { ran, release, handler } = holdingOne('holding');
    const holder = closing(await queue.process(handler, { visibilityTimeoutMs: 60_000 }));
    await queue.add('x', 'holding');
    await waitFor(() => holder.running === 1, 5000, 'the slot to be taken');
    // Free handler slots, but the queue's one slot is taken: the stalled job waits for it.
    const taker = closing(await queue.process(handler, { concurrency: 5, visibilityTimeoutMs: 200, promoteIntervalMs: 50 }));
    const errors: Error[] = [];
    taker.on('error', (e) => errors.push(e));
    await new Promise((r) => setTimeout(r, 800));
    expect(ran).toEqual(['holding']);
    expect(errors).toEqual([]);
    release();
    await waitFor(() => ran.length === 2, 5000, 'the stalled job in the freed slot');
    expect(ran).toEqual(['holding', 'stalled']);
  });

  it('a reclaimed job holds its slot of the limit until it ends', async () => {
    const { connection, queue } = await freshQueue<string>({ globalConcurrency: 1 });
    await stalledJob(connection, queue, 'stalled');
    const { ran, release, handler } = holdingOne('stalled');
    closing(await queue.process(handler, { concurrency: 5, visibilityTimeoutMs: 200, promoteIntervalMs: 50 }));
    await waitFor(() => ran.length === 1, 5000, 'the reclaim');
    await queue.add('x', 'next');
    await new Promise((r) => setTimeout(r, 800));
    expect(ran).toEqual(['stalled']);
    release();
    await waitFor(() => ran.length === 2, 5000, 'the next job in the freed slot');
    expect(ran).toEqual(['stalled', 'next']);
  });

  it('off, it costs nothing: plain XREADGROUP, no leases', async () => {
    const { connection, queue } = await freshQueue();
    const worker = closing(await queue.process(() => undefined, { concurrency: 10 }));
    let completed = 0;
    worker.on('completed', () => completed++);
    const { byCommand } = await countCommands(connection, async () => {
      await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'x', data: i })));
      await waitFor(() => completed === 20);
    });
    expect(byCommand.zadd).toBeUndefined();
    expect(byCommand.zrem).toBeUndefined();
    expect(byCommand.xreadgroup).toBeGreaterThan(0);
  });

  it('accepts exactly MAX_GLOBAL_CONCURRENCY and rejects more', async () => {
    const { connection } = await freshQueue();
    expect(() => new StreamQueue({ connection, name: 'q', globalConcurrency: MAX_GLOBAL_CONCURRENCY })).not.toThrow();
    await expectInvalid(
      () => new StreamQueue({ connection, name: 'q', globalConcurrency: MAX_GLOBAL_CONCURRENCY + 1 }),
      'globalConcurrency',
    );
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', globalConcurrency: 1.5 }), 'globalConcurrency');
  });
});

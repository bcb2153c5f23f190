// Rate-limited consumption: at most N jobs per window for the queue and per group, counted in
// Redis by the rate-limit module's sliding window log; a job that waits for its rate uses no try.
import { describe, expect, it } from 'vitest';
import { MAX_GROUP_BYTES, StreamQueue, type Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

describe(`Rate-limited consumption on ${target} via ${driver}`, () => {
  it('10 jobs/s per group with two groups: each group runs at 10/s (within 10%), no try used', async () => {
    const { queue } = await freshQueue<{ g: string; n: number }>({ groupRateLimit: { limit: 10, windowMs: 1000 } });
    const starts = new Map<string, number[]>([
      ['pharmacy-a', []],
      ['pharmacy-b', []],
    ]);
    const attempts: number[] = [];
    // Two workers with room for many at once: only the rate holds them back.
    for (let w = 0; w < 2; w++) {
      closing(
        await queue.process(
          (job) => {
            starts.get(job.data.g)?.push(Date.now());
            attempts.push(job.attemptsMade);
          },
          { concurrency: 20 },
        ),
      );
    }
    const PER_GROUP = 50;
    await queue.addBulk(
      ['pharmacy-a', 'pharmacy-b'].flatMap((g) =>
        Array.from({ length: PER_GROUP }, (_, n) => ({ name: 'sync', data: { g, n }, options: { group: g, attempts: 1 } })),
      ),
    );
    await waitFor(() => [...starts.values()].every((s) => s.length === PER_GROUP), 20_000, 'every job');
    for (const [group, times] of starts) {
      const sorted = [...times].sort((a, b) => a - b);
      // Never more than 10 in any window of one second (Redis counts exactly; the handlers read the
      // clock a few ms after their admission, hence the margin).
      for (let i = 10; i < sorted.length; i++)
        expect((sorted[i] as number) - (sorted[i - 10] as number), group).toBeGreaterThanOrEqual(950);
      // The rate after the opening window (which admits its 10 at once): from the 11th start to the last.
      const steady = sorted.slice(10);
      const rate = ((steady.length - 1) / ((steady[steady.length - 1] as number) - (steady[0] as number))) * 1000;
      expect(rate, group).toBeGreaterThanOrEqual(9);
      expect(rate, group).toBeLessThanOrEqual(11);
    }
    // Waiting for the rate used no try: every job ran on its first (and only) try.
    expect(attempts.every((a) => a === 0)).toBe(true);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('a queue-wide rate holds every job, with or without a group', async () => {
    const { queue } = await freshQueue<number>({ rateLimit: { limit: 5, windowMs: 500 } });
    const starts: number[] = [];
    closing(await queue.process(() => void starts.push(Date.now()), { concurrency: 50 }));
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'x', data: i, options: i % 2 ? { group: 'g' } : {} })));
    await waitFor(() => starts.length === 20, 10_000, 'every job');
    const sorted = starts.sort((a, b) => a - b);
    for (let i = 5; i < sorted.length; i++) expect((sorted[i] as number) - (sorted[i - 5] as number)).toBeGreaterThanOrEqual(450);
  });

  it('a group rate holds only jobs of a group: jobs without one run at once, and a refusal is no error', async () => {
    const { queue } = await freshQueue<string>({ groupRateLimit: { limit: 1, windowMs: 60_000 } });
    const ran: string[] = [];
    const worker = closing(await queue.process((job) => void ran.push(job.data), { concurrency: 1 }));
    const errors: Error[] = [];
    worker.on('error', (e) => errors.push(e));
    await queue.addBulk([
      { name: 'x', data: 'ward-1 first', options: { group: 'ward-1' } },
      { name: 'x', data: 'ward-1 second', options: { group: 'ward-1', jobId: 'second' } },
      ...['a', 'b', 'c', 'd'].map((data) => ({ name: 'x', data })),
    ]);
    await waitFor(() => ran.length === 5, 5000, 'the ungrouped jobs');
    expect(ran).toEqual(['ward-1 first', 'a', 'b', 'c', 'd']);
    expect(await queue.getJob('second')).toMatchObject({ state: 'delayed', attemptsMade: 0 });
    expect(errors).toEqual([]);
  });

  it("a job its group refuses takes no unit of the queue's rate: the next job of another group runs", async () => {
    const { queue } = await freshQueue<string>({
      rateLimit: { limit: 2, windowMs: 60_000 },
      groupRateLimit: { limit: 1, windowMs: 60_000 },
    });
    const ran: string[] = [];
    // One at a time, in order: ward-1's first, its second (refused by its group), ward-2's.
    closing(await queue.process((job) => void ran.push(job.data), { concurrency: 1 }));
    await queue.addBulk([
      { name: 'x', data: 'ward-1 first', options: { group: 'ward-1' } },
      { name: 'x', data: 'ward-1 second', options: { group: 'ward-1', jobId: 'second' } },
      { name: 'x', data: 'ward-2 first', options: { group: 'ward-2' } },
    ]);
    await waitFor(() => ran.length === 2, 5000, "ward-2's job");
    expect(ran).toEqual(['ward-1 first', 'ward-2 first']);
    expect(await queue.getJob('second')).toMatchObject({ state: 'delayed', attemptsMade: 0 });
  });

  it('while the queue-wide rate is full, a worker fetches nothing: a job added then waits in the stream', async () => {
    const { queue } = await freshQueue<string>({ rateLimit: { limit: 1, windowMs: 4000 } });
    const ran: string[] = [];
    closing(await queue.process((job) => void ran.push(job.data), { concurrency: 5, blockMs: 100 }));
    await queue.addBulk([
      { name: 'x', data: 'first' },
      { name: 'x', data: 'second', options: { jobId: 'second' } },
    ]);
    await waitFor(async () => (await queue.getJob('second'))?.state === 'delayed', 2000, 'the second job to be deferred');
    // Past the worker's last blocking read: it now waits for the window, not for jobs.
    await new Promise((r) => setTimeout(r, 300));
    await queue.add('x', 'third', { jobId: 'third' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await queue.getJob('third')).toMatchObject({ state: 'waiting' });
    expect(await queue.counts()).toEqual({ waiting: 1, pending: 0, delayed: 1, dead: 0 });
    expect(ran).toEqual(['first']);
  });

  it('jobs a worker defers come back one rate slot apart (window / limit), not all at once', async () => {
    for (const options of [{ rateLimit: { limit: 2, windowMs: 4000 } }, { groupRateLimit: { limit: 2, windowMs: 4000 } }]) {
      const { queue } = await freshQueue<number>(options);
      closing(await queue.process(() => undefined, { concurrency: 10 }));
      await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'x', data: i, options: { jobId: `j${i}`, group: 'ward-1' } })));
      const due = async () =>
        (await Promise.all(Array.from({ length: 5 }, (_, i) => queue.getJob(`j${i}`)))).flatMap((j) =>
          j?.state === 'delayed' ? [j.dueAt as number] : [],
        );
      await waitFor(async () => (await due()).length === 3, 3000, 'three jobs deferred');
      const [a, b, c] = (await due()).sort((x, y) => x - y) as [number, number, number];
      // The window's 2 units free up 2 s apart at most: slots every 4000 / 2 ms.
      for (const gap of [b - a, c - b]) {
        expect(gap, JSON.stringify(options)).toBeGreaterThanOrEqual(1900);
        expect(gap, JSON.stringify(options)).toBeLessThanOrEqual(2100);
      }
    }
  });

  it('a job deferred again waits only for the window, not behind the slots of the jobs deferred after it', async () => {
    const { connection, queue } = await freshQueue<string>({ rateLimit: { limit: 1, windowMs: 4000 } });
    // Its next blocking read starts before the limiter refuses b and c (the full window stops only
    // the reads after it): a long one still waits when b comes back.
    closing(await queue.process(() => undefined, { concurrency: 5, promoteIntervalMs: 50, blockMs: 10_000 }));
    await queue.addBulk(['a', 'b', 'c'].map((id) => ({ name: 'x', data: id, options: { jobId: id } })));
    const delayedJob = async (id: string) => {
      const job = await queue.getJob(id);
      return job?.state === 'delayed' && (job.dueAt ?? 0) > 0 ? job : undefined;
    };
    await waitFor(async () => (await delayedJob('b')) !== undefined && (await delayedJob('c')) !== undefined, 3000, 'b and c deferred');
    const first = (await delayedJob('b'))?.dueAt as number;
    // c's slot is one window after b's.
    expect(((await delayedJob('c'))?.dueAt as number) - first).toBeGreaterThanOrEqual(3900);
    // b due now while the window is still full: deferred again, to the window's end, not past c.
    const { delayed } = queue.keys;
    await connection.send(['ZADD', delayed, 'XX', 0, 'b'], delayed);
    await waitFor(async () => (await delayedJob('b')) !== undefined, 3000, 'b deferred again');
    expect(Math.abs(((await delayedJob('b'))?.dueAt as number) - first)).toBeLessThan(200);
  });

  it('keeps its logs under the documented keys: …:rate-limit:{*}:<queue>:sl0 and …:rate-limit:{g%3A<group>}:<queue>:sl0', async () => {
    const { connection, queue } = await freshQueue<string>({
      name: 'pharmacy',
      rateLimit: { limit: 5, windowMs: 60_000 },
      groupRateLimit: { limit: 5, windowMs: 60_000 },
    });
    let ran = 0;
    closing(await queue.process(() => void ran++));
    await queue.add('x', 'refill', { group: 'ward-1' });
    await waitFor(() => ran === 1, 5000, 'the job to run');
    const base = queue.keys.stream.slice(0, -':queue:{pharmacy}:stream'.length);
    // The group's identity `g:ward-1` with its colon percent-encoded, as the rate-limit module writes it.
    for (const key of [`${base}:rate-limit:{*}:pharmacy:sl0`, `${base}:rate-limit:{g%3Award-1}:pharmacy:sl0`])
      expect(await connection.send(['ZCARD', key], key), key).toBe(1);
  });

  it('off, it costs nothing: no limiter script runs', async () => {
    const { connection, queue } = await freshQueue<number>();
    const worker = closing(await queue.process(() => undefined, { concurrency: 10 }));
    let completed = 0;
    worker.on('completed', () => completed++);
    const { byCommand } = await countCommands(connection, async () => {
      await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'x', data: i, options: { group: 'g' } })));
      await waitFor(() => completed === 20);
    });
    expect(byCommand.zremrangebyscore).toBeUndefined();
  });

  it('validates rates and group keys (at most MAX_GROUP_BYTES bytes) before sending anything', async () => {
    const { connection, queue } = await freshQueue();
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', rateLimit: { limit: 0, windowMs: 1000 } }), 'rateLimit.limit');
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', rateLimit: null as never }), 'rateLimit.limit');
    await expectInvalid(
      () => new StreamQueue({ connection, name: 'q', groupRateLimit: { limit: 1, windowMs: 0.5 } }),
      'groupRateLimit.windowMs',
    );
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.add('x', 1, { group: '' }), 'options.group');
      await expectInvalid(() => queue.add('x', 1, { group: 'g'.repeat(MAX_GROUP_BYTES + 1) }), 'options.group');
    });
    expect(total).toBe(0);
    expect((await queue.add('x', 1, { group: 'g'.repeat(MAX_GROUP_BYTES) })).added).toBe(true);
  });
});

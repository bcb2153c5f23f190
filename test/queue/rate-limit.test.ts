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

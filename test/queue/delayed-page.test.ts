// What listDelayed shows of each delayed job: its id, name, data, tries, due time, and its
// priority and group only when it has them.
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';
import { freshQueue } from './helpers.js';

describe(`Delayed jobs listed on ${target} via ${driver}`, () => {
  it('a delayed job without priority or group: no tries yet, no stream entry, no priority or group field', async () => {
    const { queue } = await freshQueue<{ rx: number }>();
    const before = Date.now();
    const { id } = await queue.add('remind', { rx: 7 }, { delayMs: 60_000, attempts: 4 });
    const { jobs, total } = await queue.listDelayed();
    expect(total).toBe(1);
    expect(jobs).toStrictEqual([
      { id, name: 'remind', data: { rx: 7 }, attemptsMade: 0, maxAttempts: 4, entryId: '', dueAt: expect.any(Number) },
    ]);
    expect(jobs[0]?.dueAt).toBeGreaterThanOrEqual(before + 59_000);
    expect(jobs[0]?.dueAt).toBeLessThan(Date.now() + 61_000);
  });

  it('a delayed job of a queue with priorities shows its priority and group', async () => {
    const { queue } = await freshQueue<string>({ priorities: true });
    await queue.add('remind', 'urgent', { delayMs: 60_000, priority: 5, group: 'pharmacy-42', jobId: 'remind:1' });
    await queue.add('remind', 'routine', { delayMs: 120_000, jobId: 'remind:2' });
    const { jobs } = await queue.listDelayed();
    expect(jobs).toStrictEqual([
      {
        id: 'remind:1',
        name: 'remind',
        data: 'urgent',
        attemptsMade: 0,
        maxAttempts: 3,
        entryId: '',
        dueAt: expect.any(Number),
        priority: 5,
        group: 'pharmacy-42',
      },
      {
        id: 'remind:2',
        name: 'remind',
        data: 'routine',
        attemptsMade: 0,
        maxAttempts: 3,
        entryId: '',
        dueAt: expect.any(Number),
        priority: 0,
      },
    ]);
  });
});

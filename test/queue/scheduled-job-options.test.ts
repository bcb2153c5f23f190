// The job a schedule enqueues carries what was declared with it: attempts, priority and group,
// and the id of its run (schedule:<id>:<run ms>); no id drawn at declaration, so declaring it
// again is no change.
import { describe, expect, it } from 'vitest';
import { type ActiveJob, MIN_EVERY_MS } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

describe(`Scheduled jobs on ${target} via ${driver}`, () => {
  it("a run's job has the schedule's attempts, priority and group, and the run's id", async () => {
    const { queue } = await freshQueue<{ rx: number }>({ priorities: true });
    const startAt = Date.now() + 200;
    const declare = () =>
      queue.upsertSchedule(
        'refill',
        { everyMs: MIN_EVERY_MS, startAt },
        { name: 'refill', data: { rx: 1 }, attempts: 5, priority: 2, group: 'pharmacy-42' },
      );
    expect(await declare()).toBe(true);
    // A job of a queue with priorities draws an id when added; a schedule's stores none, so
    // declaring it again at start-up is unchanged.
    expect(await declare()).toBe(false);
    await queue.upsertSchedule('digest', { everyMs: MIN_EVERY_MS, startAt }, { name: 'digest', data: { rx: 2 } });
    const ran: ActiveJob<{ rx: number }>[] = [];
    const worker = await queue.process((job) => void ran.push(job), { concurrency: 2 });
    closeAfterTest(worker, () => worker.close(1000));
    await waitFor(() => ran.length >= 2, 5000, 'the first run of each schedule');
    const refill = ran.find((j) => j.name === 'refill');
    expect(refill).toMatchObject({
      id: `schedule:refill:${startAt}`,
      data: { rx: 1 },
      attemptsMade: 0,
      maxAttempts: 5,
      priority: 2,
      group: 'pharmacy-42',
    });
    const digest = ran.find((j) => j.name === 'digest');
    expect(digest).toMatchObject({ id: `schedule:digest:${startAt}`, data: { rx: 2 }, maxAttempts: 3, priority: 0 });
    expect(digest?.group).toBeUndefined();
  });

  it('without priorities, a run is a plain job of the schedule', async () => {
    const { queue } = await freshQueue<string>();
    const startAt = Date.now() + 200;
    await queue.upsertSchedule('digest', { everyMs: MIN_EVERY_MS, startAt }, { name: 'digest', data: 'weekly', attempts: 1 });
    const ran: ActiveJob<string>[] = [];
    const worker = await queue.process((job) => void ran.push(job));
    closeAfterTest(worker, () => worker.close(1000));
    await waitFor(() => ran.length >= 1, 5000, 'the first run');
    expect(ran[0]).toMatchObject({ id: `schedule:digest:${startAt}`, name: 'digest', data: 'weekly', maxAttempts: 1 });
    expect(ran[0]?.priority).toBeUndefined();
    expect(ran[0]?.group).toBeUndefined();
  });
});

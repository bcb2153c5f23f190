// What getSchedules lists of each schedule: its id, the name of its job, its next run, and of
// its timing only what was declared (an interval, or a cron pattern with its time zone if any).
import { describe, expect, it } from 'vitest';
import { MIN_EVERY_MS } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { freshQueue } from './helpers.js';

describe(`Schedules listed on ${target} via ${driver}`, () => {
  it('an interval schedule, a cron schedule in a time zone and one in UTC', async () => {
    const { queue } = await freshQueue();
    const startAt = Date.now() + 60_000;
    await queue.upsertSchedule('a-poll', { everyMs: MIN_EVERY_MS, startAt }, { name: 'poll', data: 1 });
    await queue.upsertSchedule('b-morning', { cron: '0 9 * * *', timeZone: 'America/New_York' }, { name: 'remind', data: 1 });
    await queue.upsertSchedule('c-noon', { cron: '0 12 * * *' }, { name: 'digest', data: 1 });
    const listed = (await queue.getSchedules()).sort((x, y) => x.id.localeCompare(y.id));
    expect(listed).toStrictEqual([
      { id: 'a-poll', jobName: 'poll', nextRunAt: startAt, everyMs: MIN_EVERY_MS },
      { id: 'b-morning', jobName: 'remind', nextRunAt: expect.any(Number), cron: '0 9 * * *', timeZone: 'America/New_York' },
      { id: 'c-noon', jobName: 'digest', nextRunAt: expect.any(Number), cron: '0 12 * * *' },
    ]);
  });
});

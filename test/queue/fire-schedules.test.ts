// One pass of the schedule timer (QueueStore.fireSchedules): what it fires and when it asks for
// the next pass, the value the worker's maintenance loop sleeps on.
import { describe, expect, it } from 'vitest';
import { MIN_EVERY_MS, type StreamQueue } from '../../src/queue/index.js';
import { QueueStore } from '../../src/queue/store.js';
import { driver, target } from '../harness/redis.js';
import { freshQueue, waitFor } from './helpers.js';

function storeOf(queue: StreamQueue<unknown>): QueueStore {
  return new QueueStore(
    queue.connection,
    queue.name,
    queue.keys,
    { group: queue.group, maxLen: 0, priorities: false, globalConcurrency: 0, eventsMaxLen: 0, keepCount: 0, keepAgeMs: 0, deadMaxLen: 0 },
    undefined,
  );
}

const job = { name: 'digest', data: 1 };

describe(`Schedule passes on ${target} via ${driver}`, () => {
  it('after firing, the next pass comes when the next run is due, not at once', async () => {
    const { queue } = await freshQueue();
    const store = storeOf(queue);
    await queue.upsertSchedule('hourly', { everyMs: 3_600_000, startAt: Date.now() - 1000 }, job);
    const next = await store.fireSchedules();
    expect((await queue.counts()).waiting).toBe(1);
    // Its following run is an hour after the one fired (a second ago, give or take a slow machine).
    expect(next).toBeGreaterThan(3_000_000);
    expect(next).toBeLessThanOrEqual(3_600_000);
  });

  it('a full batch of 200 due runs asks for the next pass at once; the pass after it waits again', async () => {
    const { queue } = await freshQueue();
    const store = storeOf(queue);
    const past = Date.now() - 1000;
    for (let i = 0; i < 200; i++) await queue.upsertSchedule(`s${i}`, { everyMs: 3_600_000, startAt: past }, job);
    expect(await store.fireSchedules()).toBe(0);
    expect((await queue.counts()).waiting).toBe(200);
    expect(await store.fireSchedules()).toBeGreaterThan(3_000_000);
  });

  it('after firing, the next pass comes when another schedule is due, if it is due before the one fired runs again', async () => {
    const { queue } = await freshQueue();
    const store = storeOf(queue);
    await queue.upsertSchedule('hourly', { everyMs: 3_600_000, startAt: Date.now() - 1000 }, job);
    await queue.upsertSchedule('soon', { everyMs: 3_600_000, startAt: Date.now() + 30_000 }, job);
    const next = await store.fireSchedules();
    expect((await queue.counts()).waiting).toBe(1);
    expect(next).toBeGreaterThan(20_000);
    expect(next).toBeLessThanOrEqual(30_000);
  });

  it('a pass with nothing due asks for the next one when the next run is due, and for none without a schedule', async () => {
    const { queue } = await freshQueue();
    const store = storeOf(queue);
    expect(await store.fireSchedules()).toBeUndefined();
    await queue.upsertSchedule('soon', { everyMs: 3_600_000, startAt: Date.now() + 30_000 }, job);
    const next = await store.fireSchedules();
    expect((await queue.counts()).waiting).toBe(0);
    expect(next).toBeGreaterThan(20_000);
    expect(next).toBeLessThanOrEqual(30_000);
  });

  it('a batch one short of full waits for the next run', async () => {
    const { queue } = await freshQueue();
    const store = storeOf(queue);
    const past = Date.now() - 1000;
    for (let i = 0; i < 199; i++) await queue.upsertSchedule(`s${i}`, { everyMs: 3_600_000, startAt: past }, job);
    expect(await store.fireSchedules()).toBeGreaterThan(3_000_000);
    expect((await queue.counts()).waiting).toBe(199);
  });

  it("a run's job is schedule:<id>:<run ms>; a missed run fires late, and the next is one interval after it", async () => {
    const { queue } = await freshQueue();
    const store = storeOf(queue);
    const startAt = Date.now() - 5000;
    await queue.upsertSchedule('poll', { everyMs: MIN_EVERY_MS, startAt }, job);
    // Four more runs are due already: the next pass comes at once.
    expect(await store.fireSchedules()).toBe(0);
    expect(await queue.getJob(`schedule:poll:${startAt}`)).toMatchObject({ name: 'digest', state: 'waiting' });
    expect((await queue.getSchedules())[0]?.nextRunAt).toBe(startAt + MIN_EVERY_MS);
    await store.fireSchedules();
    expect(await queue.getJob(`schedule:poll:${startAt + MIN_EVERY_MS}`)).toMatchObject({ state: 'waiting' });
    expect((await queue.getSchedules())[0]?.nextRunAt).toBe(startAt + 2 * MIN_EVERY_MS);
  });

  it('runs missed more than a minute back are skipped: the oldest fires, the next is the first tick of the last minute', async () => {
    const { queue } = await freshQueue();
    const store = storeOf(queue);
    const startAt = Date.now() - 600_000 - 300;
    await queue.upsertSchedule('poll', { everyMs: MIN_EVERY_MS, startAt }, job);
    const before = Date.now();
    expect(await store.fireSchedules()).toBe(0);
    const after = Date.now();
    expect((await queue.counts()).waiting).toBe(1);
    expect(await queue.getJob(`schedule:poll:${startAt}`)).toMatchObject({ state: 'waiting' });
    const next = (await queue.getSchedules())[0]?.nextRunAt ?? 0;
    // On the schedule's grid, the first tick after (Redis time - 60 s).
    expect((next - startAt) % MIN_EVERY_MS).toBe(0);
    expect(next).toBeGreaterThan(before - 60_000);
    expect(next).toBeLessThanOrEqual(after - 60_000 + MIN_EVERY_MS);
  });

  it('due runs whose specs were lost (the schedules hash evicted) are skipped, and not listed, without an error', async () => {
    const { connection, queue } = await freshQueue();
    const store = storeOf(queue);
    await queue.upsertSchedule('a', { everyMs: MIN_EVERY_MS, startAt: Date.now() - 1000 }, job);
    await connection.send(['DEL', queue.keys.schedules], queue.keys.schedules);
    await store.fireSchedules();
    expect((await queue.counts()).waiting).toBe(0);
    // Its next run is still there, without a schedule to belong to: listed as nothing.
    expect(await queue.getSchedules()).toEqual([]);
    // Declaring it again brings it back, and it fires.
    await queue.upsertSchedule('a', { everyMs: MIN_EVERY_MS, startAt: Date.now() - 1000 }, job);
    await waitFor(
      async () => {
        await store.fireSchedules();
        return (await queue.counts()).waiting > 0;
      },
      10_000,
      'the schedule declared again to fire',
    );
  });

  it('specs that cannot be read (not JSON, or no job fields) are neither listed nor fired, without an error', async () => {
    const { connection, queue } = await freshQueue();
    const store = storeOf(queue);
    const { schedules, scheduleDue } = queue.keys;
    const due = Date.now() - 1000;
    await connection.send(['HSET', schedules, 'garbled', '{"e":1000,', 'fieldless', '{"e":1000}', 'null', 'null'], schedules);
    await connection.send(['ZADD', scheduleDue, due, 'garbled', due, 'fieldless', due, 'null'], scheduleDue);
    expect(await queue.getSchedules()).toEqual([]);
    await store.fireSchedules();
    expect((await queue.counts()).waiting).toBe(0);
  });

  it('the run after a cron run is computed in UTC when the pattern has no time zone, whatever the time zone of the process', async () => {
    const { connection, queue } = await freshQueue();
    const store = storeOf(queue);
    await queue.upsertSchedule('noon', { cron: '0 12 * * *' }, job);
    const { scheduleDue } = queue.keys;
    await connection.send(['ZADD', scheduleDue, 'XX', Date.now() - 1000, 'noon'], scheduleDue);
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      await store.fireSchedules();
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect((await queue.counts()).waiting).toBe(1);
    const at = new Date((await queue.getSchedules())[0]?.nextRunAt ?? 0);
    expect([at.getUTCHours(), at.getUTCMinutes()]).toEqual([12, 0]);
    expect(at.getTime()).toBeGreaterThan(Date.now());
  });
});

// Repeatable jobs: schedules declared by every instance at start-up exist once, and each run
// fires exactly once (never missed, never doubled) while an instance is killed with SIGKILL.
import { describe, expect, it } from 'vitest';
import { MIN_EVERY_MS, type Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';
import { childKeys, kill, startChild } from './processes.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Schedules on ${target} via ${driver}`, () => {
  it('100 schedules upserted by 3 instances at once exist once; over 10+ ticks each run fires exactly once while one instance is killed', async () => {
    const { connection, queue } = await freshQueue<{ n: number }>();
    const keys = childKeys(connection);
    const SCHEDULES = 100;
    const children = await Promise.all(
      [0, 1, 2].map((i) =>
        startChild(connection, {
          role: 'worker',
          queue: queue.name,
          consumer: `instance-${i}`,
          schedules: SCHEDULES,
          workerOptions: { concurrency: 20, visibilityTimeoutMs: 1000, promoteIntervalMs: 200 },
        }),
      ),
    );
    const declared = await queue.getSchedules();
    expect(declared).toHaveLength(SCHEDULES);
    expect(new Set(declared.map((s) => s.id)).size).toBe(SCHEDULES);
    // Let a few ticks fire, kill one instance mid-run, let the others carry on.
    await sleep(3500);
    await kill(children[1] as (typeof children)[number]);
    await sleep(9000);
    await Promise.all(Array.from({ length: SCHEDULES }, (_, i) => queue.removeSchedule(`s${i}`)));
    // What was fired runs (the dead instance's jobs are reclaimed by the survivors).
    await waitFor(
      async () => {
        const c = await queue.counts();
        return c.waiting + c.pending + c.delayed === 0;
      },
      20_000,
      'the fired runs to complete',
    );
    const deliveries = (await connection.send(['HGETALL', keys.deliveries], keys.deliveries)) as string[] | Record<string, string>;
    const flat = Array.isArray(deliveries) ? deliveries : Object.entries(deliveries).flat();
    // Job id of a run: schedule:<id>:<tick>. A doubled run would be a second entry for the same id.
    const entriesPerRun = new Map<string, Set<string>>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const runId = flat[i + 1] as string;
      const set = entriesPerRun.get(runId) ?? new Set<string>();
      set.add(flat[i] as string);
      entriesPerRun.set(runId, set);
    }
    for (const [runId, entries] of entriesPerRun) expect(entries.size, runId).toBe(1);
    const ticks = new Map<string, number[]>();
    for (const runId of entriesPerRun.keys()) {
      const [, id, tick] = runId.split(':');
      const list = ticks.get(id as string) ?? [];
      list.push(Number(tick));
      ticks.set(id as string, list);
    }
    expect(ticks.size).toBe(SCHEDULES);
    for (const [id, list] of ticks) {
      list.sort((a, b) => a - b);
      // No missed run: consecutive seconds from the first to the last.
      expect(list.length, id).toBeGreaterThanOrEqual(10);
      expect((list[list.length - 1] as number) - (list[0] as number), id).toBe((list.length - 1) * 1000);
    }
  });

  it('an interval schedule runs every everyMs; an unchanged declaration keeps its next run, a changed one starts over', async () => {
    const { connection, queue } = await freshQueue<string>();
    const start = Date.now() + 300;
    expect(await queue.upsertSchedule('digest', { everyMs: MIN_EVERY_MS, startAt: start }, { name: 'digest', data: 'v1' })).toBe(true);
    const { result, byCommand } = await countCommands(connection, () =>
      queue.upsertSchedule('digest', { everyMs: MIN_EVERY_MS, startAt: start + 5000 }, { name: 'digest', data: 'v1' }),
    );
    expect(result).toBe(false);
    expect(byCommand.evalsha).toBe(1);
    expect((await queue.getSchedules())[0]).toMatchObject({ id: 'digest', everyMs: MIN_EVERY_MS, jobName: 'digest', nextRunAt: start });
    const runs: [string, number][] = [];
    closing(await queue.process((job) => void runs.push([job.data, Date.now()]), { promoteIntervalMs: 60_000 }));
    await waitFor(() => runs.length >= 3, 10_000, 'three runs');
    expect(runs[0]?.[1]).toBeGreaterThanOrEqual(start - 5);
    // On time, without polling: the worker wakes at the next run.
    for (let i = 0; i < 3; i++) expect((runs[i]?.[1] as number) - (start + i * MIN_EVERY_MS)).toBeLessThan(300);
    expect(await queue.upsertSchedule('digest', { everyMs: 60_000 }, { name: 'digest', data: 'v2' })).toBe(true);
    const [changed] = await queue.getSchedules();
    expect((changed?.nextRunAt ?? 0) - Date.now()).toBeGreaterThan(50_000);
    expect(await queue.removeSchedule('digest')).toBe(true);
    expect(await queue.removeSchedule('digest')).toBe(false);
    expect(await queue.getSchedules()).toEqual([]);
    // Its next run went with it: nothing is left for the due-schedule pass to read again and again.
    expect(await connection.send(['ZCARD', queue.keys.scheduleDue], queue.keys.scheduleDue)).toBe(0);
  });

  it('an unchanged declaration gives a schedule back the next run it lost (its sorted set evicted)', async () => {
    const { connection, queue } = await freshQueue<string>();
    const start = Date.now() + 60_000;
    const declare = (startAt: number) => queue.upsertSchedule('digest', { everyMs: MIN_EVERY_MS, startAt }, { name: 'digest', data: 'v1' });
    expect(await declare(start)).toBe(true);
    await connection.send(['DEL', queue.keys.scheduleDue], queue.keys.scheduleDue);
    expect((await queue.getSchedules())[0]?.nextRunAt).toBeUndefined();
    expect(await declare(start + 5000)).toBe(false);
    expect((await queue.getSchedules())[0]).toMatchObject({ id: 'digest', nextRunAt: start + 5000 });
  });

  it('reads a cron pattern in its time zone', async () => {
    const { queue } = await freshQueue();
    await queue.upsertSchedule('morning', { cron: '0 9 * * *', timeZone: 'America/New_York' }, { name: 'remind', data: 1 });
    const [s] = await queue.getSchedules();
    expect(s).toMatchObject({ cron: '0 9 * * *', timeZone: 'America/New_York' });
    const at = new Date(s?.nextRunAt ?? 0);
    const hour = Number(new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: 'numeric', hourCycle: 'h23' }).format(at));
    expect(hour).toBe(9);
    expect(at.getTime()).toBeGreaterThan(Date.now());
    expect(at.getTime() - Date.now()).toBeLessThanOrEqual(25 * 3600_000);
  });

  it('an interval schedule starts at startAt given as a Date as well as in ms', async () => {
    const { queue } = await freshQueue();
    const startAt = new Date(Date.now() + 120_000);
    await queue.upsertSchedule('digest', { everyMs: MIN_EVERY_MS, startAt }, { name: 'digest', data: 1 });
    expect((await queue.getSchedules())[0]).toMatchObject({ id: 'digest', everyMs: MIN_EVERY_MS, nextRunAt: startAt.getTime() });
    // An Invalid Date is no start: the first run is everyMs from now, as without one.
    const before = Date.now();
    await queue.upsertSchedule('poll', { everyMs: 60_000, startAt: new Date(Number.NaN) }, { name: 'poll', data: 1 });
    const poll = (await queue.getSchedules()).find((s) => s.id === 'poll');
    expect(poll?.nextRunAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(poll?.nextRunAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('a cron pattern without a time zone is read in UTC, whatever the time zone of the process, and stored without one', async () => {
    const { queue } = await freshQueue();
    // An instance running in New York must compute the same runs as one in UTC.
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      await queue.upsertSchedule('noon', { cron: '0 12 * * *' }, { name: 'remind', data: 1 });
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    const [s] = await queue.getSchedules();
    expect(s).toEqual({ id: 'noon', cron: '0 12 * * *', jobName: 'remind', nextRunAt: expect.any(Number) });
    const at = new Date(s?.nextRunAt ?? 0);
    expect([at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()]).toEqual([12, 0, 0, 0]);
    expect(at.getTime()).toBeGreaterThan(Date.now());
    expect(at.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('a cron pattern with no run to come (a year gone by) is kept, and never runs', async () => {
    const { queue } = await freshQueue();
    expect(await queue.upsertSchedule('new-year-2020', { cron: '0 0 0 1 1 * 2020' }, { name: 'x', data: 1 })).toBe(true);
    expect((await queue.getSchedules())[0]).toMatchObject({ id: 'new-year-2020', nextRunAt: Number.MAX_SAFE_INTEGER });
  });

  it('rejects bad schedules with ValidationError before sending anything', async () => {
    const { connection, queue } = await freshQueue();
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.upsertSchedule('', { everyMs: 1000 }, { name: 'x', data: 1 }), 'id');
      await expectInvalid(() => queue.upsertSchedule('a', null as never, { name: 'x', data: 1 }), 'timing', /must be an object/);
      await expectInvalid(() => queue.upsertSchedule('a', 1000 as never, { name: 'x', data: 1 }), 'timing', /must be an object/);
      await expectInvalid(() => queue.upsertSchedule('a', {}, { name: 'x', data: 1 }), 'timing', /give either cron or everyMs/);
      await expectInvalid(
        () => queue.upsertSchedule('a', { cron: '* * * * *', everyMs: 1000 }, { name: 'x', data: 1 }),
        'timing',
        /give either cron or everyMs/,
      );
      await expectInvalid(() => queue.upsertSchedule('a', { cron: 'nope' }, { name: 'x', data: 1 }), 'timing.cron');
      await expectInvalid(() => queue.upsertSchedule('a', { cron: '' }, { name: 'x', data: 1 }), 'timing.cron');
      // A bad pattern in a good time zone is the pattern's fault.
      await expectInvalid(
        () => queue.upsertSchedule('a', { cron: 'nope', timeZone: 'Europe/Paris' }, { name: 'x', data: 1 }),
        'timing.cron',
      );
      await expectInvalid(
        () => queue.upsertSchedule('a', { cron: '* * * * *', timeZone: 'Mars/Olympus' }, { name: 'x', data: 1 }),
        'timing.timeZone',
      );
      await expectInvalid(() => queue.upsertSchedule('a', { cron: '* * * * *', timeZone: '' }, { name: 'x', data: 1 }), 'timing.timeZone');
      await expectInvalid(() => queue.upsertSchedule('a', { everyMs: MIN_EVERY_MS - 1 }, { name: 'x', data: 1 }), 'timing.everyMs');
      await expectInvalid(() => queue.upsertSchedule('a', { everyMs: MIN_EVERY_MS + 0.5 }, { name: 'x', data: 1 }), 'timing.everyMs');
      await expectInvalid(
        () => queue.upsertSchedule('a', { everyMs: 1000, timeZone: 'UTC' }, { name: 'x', data: 1 }),
        'timing.timeZone',
        /applies to cron only/,
      );
      await expectInvalid(() => queue.upsertSchedule('a', { everyMs: 1000 }, { name: '', data: 1 }), 'job.name');
      await expectInvalid(() => queue.removeSchedule(''), 'id');
    });
    expect(total).toBe(0);
  });
});

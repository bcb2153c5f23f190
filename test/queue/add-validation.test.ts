// What add, addBulk and upsertSchedule refuse: each bad job is a ValidationError naming the
// job's own field (options.x for add, jobs[i].x for addBulk, job.x for a schedule) and saying
// what is wrong, before anything is sent.
import { describe, expect, it } from 'vitest';
import { MAX_PRIORITY } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { freshQueue } from './helpers.js';

describe(`StreamQueue job validation on ${target} via ${driver}`, () => {
  it('add names the option that is wrong and says why', async () => {
    const { connection, queue } = await freshQueue();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.add('', 1), 'options.name');
      await expectInvalid(() => queue.add(7 as never, 1), 'options.name');
      await expectInvalid(() => queue.add('x', 1, null as never), 'options', /must be an object/);
      await expectInvalid(() => queue.add('x', 1, 'later' as never), 'options', /must be an object/);
      await expectInvalid(() => queue.add('x', 1, { attempts: 0 }), 'options.attempts');
      await expectInvalid(() => queue.add('x', 1, { delayMs: -1 }), 'options.delayMs');
      await expectInvalid(() => queue.add('x', 1, { delay: 60_000 } as never), 'options.delay', /delayMs/);
      await expectInvalid(() => queue.add('x', 1, { delayMs: 1, runAt: Date.now() + 60_000 }), 'options.runAt', /either delayMs or runAt/);
      await expectInvalid(() => queue.add('x', 1, { runAt: new Date('nope') }), 'options.runAt', /valid Date or epoch ms/);
      await expectInvalid(() => queue.add('x', 1, { runAt: Number.POSITIVE_INFINITY }), 'options.runAt', /valid Date or epoch ms/);
      await expectInvalid(() => queue.add('x', 1, { runAt: '2030-01-01' as never }), 'options.runAt', /valid Date or epoch ms/);
      await expectInvalid(() => queue.add('x', 1, { priority: 1 }), 'options.priority', /priorities: true/);
      await expectInvalid(() => queue.add('x', 1, { group: '' }), 'options.group');
      await expectInvalid(() => queue.add('x', cyclic), 'options.data', /JSON/);
      await expectInvalid(() => queue.add('x', 1, { jobId: '' }), 'options.jobId');
    });
    expect(total).toBe(0);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('a queue with priorities checks the priority: an integer in [0, MAX_PRIORITY], the maximum accepted', async () => {
    const { connection, queue } = await freshQueue({ priorities: true });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.add('x', 1, { priority: -1 }), 'options.priority');
      await expectInvalid(() => queue.add('x', 1, { priority: 1.5 }), 'options.priority');
      await expectInvalid(() => queue.add('x', 1, { priority: MAX_PRIORITY + 1 }), 'options.priority');
    });
    expect(total).toBe(0);
    expect((await queue.add('x', 1, { priority: MAX_PRIORITY })).added).toBe(true);
  });

  it('addBulk names the job by its index, and an empty bulk sends nothing', async () => {
    const { connection, queue } = await freshQueue();
    const { result, total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.addBulk('x' as never), 'jobs', /must be an array/);
      await expectInvalid(() => queue.addBulk([{ name: 'ok', data: 1 }, null as never]), 'jobs[1].name');
      await expectInvalid(
        () =>
          queue.addBulk([
            { name: 'ok', data: 1 },
            { name: 'ok', data: 1 },
            { name: 'bad', data: 1, options: { attempts: -1 } },
          ]),
        'jobs[2].attempts',
      );
      await expectInvalid(() => queue.addBulk([{ name: 'ok', data: 1, options: 'soon' as never }]), 'jobs[0]', /must be an object/);
      return queue.addBulk([]);
    });
    expect(result).toEqual([]);
    expect(total).toBe(0);
  });

  it('upsertSchedule names the job of a schedule: job, job.attempts, job.priority, job.group', async () => {
    const { connection, queue } = await freshQueue();
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.upsertSchedule('a', { everyMs: 1000 }, null as never), 'job', /must be an object/);
      await expectInvalid(() => queue.upsertSchedule('a', { everyMs: 1000 }, 'x' as never), 'job', /must be an object/);
      await expectInvalid(() => queue.upsertSchedule('a', { everyMs: 1000 }, { name: 'x', data: 1, attempts: 0 }), 'job.attempts');
      await expectInvalid(() => queue.upsertSchedule('a', { everyMs: 1000 }, { name: 'x', data: 1, priority: 1 }), 'job.priority');
      await expectInvalid(() => queue.upsertSchedule('a', { everyMs: 1000 }, { name: 'x', data: 1, group: '' }), 'job.group');
    });
    expect(total).toBe(0);
    expect(await queue.getSchedules()).toEqual([]);
  });
});

// The queue's own options: each bad one is a ValidationError that names it, thrown by the
// constructor before anything is sent, and each limit is accepted at exactly its value.
import { describe, expect, it } from 'vitest';
import { MAX_GLOBAL_CONCURRENCY, StreamQueue } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

describe(`StreamQueue options on ${target} via ${driver}`, () => {
  it('options that are not an object are a ValidationError naming options', async () => {
    await expectInvalid(() => new StreamQueue(null as never), 'options', /must be an object/);
    await expectInvalid(() => new StreamQueue('jobs' as never), 'options', /must be an object/);
  });

  it('names the option that is wrong: name, defaultAttempts, group, maxLen, priorities, globalConcurrency', async () => {
    const connection = await testConnection();
    await expectInvalid(() => new StreamQueue({ connection, name: '' }), 'name');
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', defaultAttempts: 0 }), 'defaultAttempts');
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', group: '' }), 'group');
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', maxLen: -1 }), 'maxLen');
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', priorities: 'yes' as never }), 'priorities', /must be a boolean/);
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', globalConcurrency: 1.5 }), 'globalConcurrency');
    await expectInvalid(
      () => new StreamQueue({ connection, name: 'q', globalConcurrency: MAX_GLOBAL_CONCURRENCY + 1 }),
      'globalConcurrency',
    );
    expect(new StreamQueue({ connection, name: 'q', globalConcurrency: MAX_GLOBAL_CONCURRENCY })).toBeInstanceOf(StreamQueue);
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', keepCompleted: { count: 0 } }), 'keepCompleted.count');
  });

  it('events and keepCompleted are a boolean or an object: anything else is a ValidationError naming them', async () => {
    const connection = await testConnection();
    for (const bad of [5, 'yes', null, 0]) {
      await expectInvalid(
        () => new StreamQueue({ connection, name: 'q', events: bad as never }),
        'events',
        /must be a boolean or an object/,
      );
      await expectInvalid(
        () => new StreamQueue({ connection, name: 'q', keepCompleted: bad as never }),
        'keepCompleted',
        /must be a boolean or an object/,
      );
    }
  });

  it('events: false and keepCompleted: false are off, as when left out: add is one XADD, a completed job is gone', async () => {
    const { connection, queue } = await freshQueue<number>({ events: false, keepCompleted: false });
    const { result, byCommand } = await countCommands(connection, () => queue.add('x', 1));
    expect(byCommand).toEqual({ xadd: 1 });
    const worker = await queue.process(() => 'done');
    closeAfterTest(worker, () => worker.close(1000));
    let completed = 0;
    worker.on('completed', () => completed++);
    await waitFor(() => completed === 1, 5000, 'the job to complete');
    expect(await queue.getJob(result.id)).toBeUndefined();
  });
});

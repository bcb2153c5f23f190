// What the queue's inspection and maintenance calls refuse: each bad argument is a
// ValidationError naming it and saying what is wrong, before anything is sent.
import { describe, expect, it } from 'vitest';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { freshQueue } from './helpers.js';

describe(`StreamQueue inspection arguments on ${target} via ${driver}`, () => {
  it('listDead: options an object, a cursor from next, a job name, a string to look for', async () => {
    const { connection, queue } = await freshQueue();
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.listDead(null as never), 'options', /must be an object/);
      await expectInvalid(() => queue.listDead(5 as never), 'options', /must be an object/);
      await expectInvalid(() => queue.listDead({ count: 1.5 }), 'count');
      // The whole text is the cursor: a cursor with anything before or after it is refused.
      await expectInvalid(() => queue.listDead({ after: 'x1-0' }), 'after', /cursor from next/);
      await expectInvalid(() => queue.listDead({ after: '1-0x' }), 'after', /cursor from next/);
      await expectInvalid(() => queue.listDead({ name: '' }), 'name');
      await expectInvalid(() => queue.listDead({ errorIncludes: 5 as never }), 'errorIncludes', /must be a string/);
    });
    expect(total).toBe(0);
    // A cursor as next gives it (an entry id: milliseconds and a sequence number) is accepted.
    expect(await queue.listDead({ after: '1764815000000-12' })).toEqual({ jobs: [], next: undefined });
  });

  it('listDelayed: options an object, an integer count', async () => {
    const { connection, queue } = await freshQueue();
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.listDelayed(null as never), 'options', /must be an object/);
      await expectInvalid(() => queue.listDelayed('first' as never), 'options', /must be an object/);
      await expectInvalid(() => queue.listDelayed({ count: 0 }), 'count');
      await expectInvalid(() => queue.listDelayed({ offset: 0.5 }), 'offset');
    });
    expect(total).toBe(0);
  });

  it('peekDead, retryDead, removeIdleConsumers and whenDrained name their argument', async () => {
    const { connection, queue } = await freshQueue({ events: true });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.peekDead(0), 'count');
      await expectInvalid(() => queue.retryDead(0), 'count');
      await expectInvalid(() => queue.retryDead(2.5), 'count');
      await expectInvalid(() => queue.removeIdleConsumers(-1), 'idleMs');
      await expectInvalid(() => queue.whenDrained(-1), 'timeoutMs');
    });
    expect(total).toBe(0);
  });
});

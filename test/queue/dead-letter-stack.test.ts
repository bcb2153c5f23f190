// The stack a dead letter carries: the one of the throw that used up the last try, cut to a
// size a stream entry can hold; a try that is retried keeps none for later.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

function errorWithStack(message: string, stack: string | undefined): Error {
  const err = new Error(message);
  err.stack = stack;
  return err;
}

describe(`Dead-letter stacks on ${target} via ${driver}`, () => {
  it('keeps the first 2000 characters of a long stack', async () => {
    const { queue } = await freshQueue<number>();
    const stack = `Error: deep\n${'    at recurse (file.js:1:1)\n'.repeat(200)}`;
    closing(
      await queue.process(() => {
        throw errorWithStack('deep', stack);
      }),
    );
    await queue.add('x', 1, { attempts: 1 });
    await waitFor(async () => (await queue.counts()).dead === 1, 10_000, 'the dead letter');
    const [dead] = await queue.peekDead(1);
    expect(dead?.stack).toBe(stack.slice(0, 2000));
  });

  it("a job whose last throw has no stack is dead-lettered without one, not with an earlier try's", async () => {
    const { queue } = await freshQueue<number>();
    let tries = 0;
    closing(
      await queue.process(
        () => {
          tries++;
          throw tries === 1 ? errorWithStack('first', 'Error: first\n    at firstTry (a.js:1:1)') : errorWithStack('last', undefined);
        },
        { backoff: { baseMs: 10, jitter: 0 }, promoteIntervalMs: 100 },
      ),
    );
    await queue.add('x', 1, { attempts: 2 });
    await waitFor(async () => (await queue.counts()).dead === 1, 10_000, 'the dead letter');
    const [dead] = await queue.peekDead(1);
    expect(dead).toMatchObject({ error: 'last', attemptsMade: 2 });
    expect(dead?.stack).toBeUndefined();
  });
});

// A handler may throw anything, not only an Error: the worker's events always carry an Error
// (the thrown value as its message), and that message is what the job's dead letter keeps.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(1000));
}

describe(`Values a handler throws on ${target} via ${driver}`, () => {
  it('a thrown string becomes an Error with it as message, in the events and the dead letter', async () => {
    const { queue } = await freshQueue<string>();
    const worker = closing(
      await queue.process(
        (job) => {
          throw `out of stock: ${job.data}`;
        },
        { backoff: { baseMs: 0 } },
      ),
    );
    const failed: unknown[] = [];
    const retrying: unknown[] = [];
    const dead: unknown[] = [];
    worker.on('failed', (_job, error) => failed.push(error));
    worker.on('retrying', (_job, error) => retrying.push(error));
    worker.on('deadLettered', (_job, error) => dead.push(error));
    await queue.add('refill', 'rx-4', { attempts: 2 });
    await waitFor(() => dead.length === 1, 5000, 'the dead letter');
    expect(failed).toHaveLength(2);
    for (const error of [...failed, ...retrying, ...dead]) {
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe('out of stock: rx-4');
    }
    expect(retrying).toHaveLength(1);
    const [letter] = await queue.peekDead();
    expect(letter?.error).toBe('out of stock: rx-4');
  });
});

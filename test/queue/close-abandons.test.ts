// What close() does to a job still running at its deadline: the handler's signal aborts with a
// reason that says why, and whatever the handler does after that is not recorded (no failure,
// no retry): the job stays pending, for another worker to reclaim.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

describe(`close() giving up on a running job on ${target} via ${driver}`, () => {
  it('aborts the signal with an Error saying the worker closed before the job finished', async () => {
    const { queue } = await freshQueue();
    let reason: unknown;
    const worker = closing(
      await queue.process(
        (_job, signal) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => {
              reason = signal.reason;
              resolve(undefined);
            });
          }),
      ),
    );
    await queue.add('slow', 1);
    await waitFor(() => worker.running === 1, 5000, 'the job to start');
    expect(await worker.close(50)).toEqual({ abandoned: 1 });
    expect(reason).toBeInstanceOf(Error);
    expect((reason as Error).message).toBe('worker closed before the job finished');
  });

  it('a handler that throws once aborted records no failure: no event, no retry, the job stays pending', async () => {
    const { queue } = await freshQueue();
    const worker = closing(
      await queue.process(
        (_job, signal) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason));
          }),
        { backoff: { baseMs: 0 } },
      ),
    );
    const events: string[] = [];
    for (const name of ['failed', 'retrying', 'deadLettered', 'completed'] as const) worker.on(name, () => events.push(name));
    const { id } = await queue.add('slow', 1, { attempts: 3 });
    await waitFor(() => worker.running === 1, 5000, 'the job to start');
    expect(await worker.close(50)).toEqual({ abandoned: 1 });
    // Time for a failure record, had one been sent.
    await sleep(300);
    expect(events).toEqual([]);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 1, delayed: 0, dead: 0 });
    expect(await queue.getJob(id)).toMatchObject({ state: 'active', attemptsMade: 0 });
  });
});

// close(timeoutMs) waits for the running jobs only as long as they run: it resolves once they
// finished and were acknowledged, not at its deadline.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

describe(`close() with jobs running on ${target} via ${driver}`, () => {
  it('resolves once the running jobs are done and acknowledged, long before its deadline', async () => {
    const { queue } = await freshQueue<number>();
    const [gate, open] = latch();
    const worker = closing(await queue.process(() => gate, { concurrency: 2 }));
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.addBulk([1, 2].map((data) => ({ name: 'x', data })));
    await waitFor(() => worker.running === 2, 5000, 'both jobs to run');
    const started = performance.now();
    const closed = worker.close(8000);
    setTimeout(open, 200);
    expect(await closed).toEqual({ abandoned: 0 });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(completed).toBe(2);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });
});

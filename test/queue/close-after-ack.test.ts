// close() waits for running jobs and their acknowledgements, and returns as soon as the last
// one went through: not at its deadline.
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';

describe(`Worker close after the last ack on ${target} via ${driver}`, () => {
  it('returns once the running job is acknowledged, long before its deadline', async () => {
    const { queue } = await freshQueue<string>();
    const [released, release] = latch();
    const worker = closeAfterTest(await queue.process(() => released));
    const completed: string[] = [];
    worker.on('completed', (job) => completed.push(job.data));
    await queue.add('x', 'rx-1');
    await waitFor(() => worker.running === 1, 5000, 'the job running');
    const started = performance.now();
    const closing = worker.close(10_000);
    setTimeout(release, 100);
    expect(await closing).toEqual({ abandoned: 0 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(completed).toEqual(['rx-1']);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });
});

// A worker takes over only as many stalled jobs as it has free handler slots: the jobs of a
// dead worker never push it past its concurrency.
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';

describe(`Take-over of stalled jobs on ${target} via ${driver}`, () => {
  it('takes over no more stalled jobs than its free slots while a job of its own runs', async () => {
    const { connection, queue } = await freshQueue<string>();
    await queue.ensureGroup();
    const { stream } = queue.keys;
    await queue.addBulk(['s1', 's2', 's3'].map((data) => ({ name: 'stalled', data })));
    // A consumer that fetched the three and died.
    await connection.send(['XREADGROUP', 'GROUP', queue.group, 'ghost', 'COUNT', 3, 'STREAMS', stream, '>'], stream);
    await queue.add('long', 'own');
    const [released, release] = latch();
    let running = 0;
    let peak = 0;
    const done: string[] = [];
    const worker = closeAfterTest(
      await queue.process(
        async (job) => {
          running++;
          peak = Math.max(peak, running);
          await (job.data === 'own' ? released : new Promise((r) => setTimeout(r, 300)));
          running--;
          done.push(job.data);
        },
        { concurrency: 2, visibilityTimeoutMs: 300, promoteIntervalMs: 50 },
      ),
    );
    const taken: number[] = [];
    worker.on('stalled', (jobs) => taken.push(jobs.length));
    await waitFor(() => done.length === 3, 10_000, 'the three stalled jobs, one at a time beside the long one');
    expect([...done].sort()).toEqual(['s1', 's2', 's3']);
    expect(peak).toBe(2);
    expect(taken.reduce((a, b) => a + b, 0)).toBe(3);
    release();
    await waitFor(() => done.length === 4, 5000, 'the long job');
  });
});

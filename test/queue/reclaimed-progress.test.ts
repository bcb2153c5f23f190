// A job taken over from a worker that reported its progress and then went away: the worker
// that completes it knows nothing of that progress, yet its ack forgets it, so nothing of the
// job is left in the queue's keys.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

describe(`A reclaimed job's progress on ${target} via ${driver}`, () => {
  it('is forgotten when the worker that took the job over completes it', async () => {
    const { connection, queue } = await freshQueue<string>();
    const { progress } = queue.keys;
    const [never] = latch();
    let reported = false;
    // A plain job (its id is its entry id): it reports progress, then hangs until its worker is gone.
    const first = closing(
      await queue.process(
        async (job) => {
          await job.updateProgress({ step: 1 });
          reported = true;
          await never;
        },
        { visibilityTimeoutMs: 200 },
      ),
    );
    const { id } = await queue.add('import', 'file-1');
    await waitFor(() => reported, 5000, 'the progress');
    expect((await first.close(0)).abandoned).toBe(1);
    expect(await connection.send(['HEXISTS', progress, id], progress)).toBe(1);
    const done: string[] = [];
    const second = closing(await queue.process((job) => void done.push(job.id), { visibilityTimeoutMs: 200, promoteIntervalMs: 50 }));
    let stalled = 0;
    second.on('stalled', (jobs) => {
      stalled += jobs.length;
    });
    await waitFor(() => done.length === 1, 5000, 'the reclaim and completion');
    expect(stalled).toBe(1);
    expect(done).toEqual([id]);
    await waitFor(async () => (await queue.counts()).pending === 0, 5000, 'the ack');
    expect(await connection.send(['HEXISTS', progress, id], progress)).toBe(0);
    expect(await queue.getJob(id)).toBeUndefined();
  });
});

// A queue-wide pause reaches a worker that is blocked on an empty stream: its read is ended at
// once (it would otherwise deliver a job added during the pause), and a refused unblock is
// reported. In-process workers, so the worker under test runs the source, not the build.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import type { Worker } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, queueOfRefusableUser, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(1000));
}

describe(`A queue pause and a blocked worker on ${target} via ${driver}`, () => {
  it('ends the blocking read: a job added while paused waits for resume, not for blockMs', async () => {
    const { queue } = await freshQueue<number>();
    const seen: number[] = [];
    // A read of 10 s on an empty stream: the worker blocks in it by the time the queue pauses.
    const worker = closing(await queue.process((job) => void seen.push(job.data), { blockMs: 10_000, promoteIntervalMs: 60_000 }));
    await sleep(300);
    await queue.pause();
    await waitFor(() => worker.isPaused, 5000, 'the pause message');
    await queue.add('x', 1);
    await sleep(500);
    expect(seen).toEqual([]);
    await queue.resume();
    await waitFor(() => seen.length === 1, 5000, 'the job after resume');
    expect(seen).toEqual([1]);
  });

  it('reports an unblock Redis refuses as an error event', async () => {
    const server = await startRedis();
    try {
      const { admin, queue } = await queueOfRefusableUser(server, 'unblock');
      const worker = closing(await queue.process(() => undefined, { blockMs: 1000, promoteIntervalMs: 60_000 }));
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      await sleep(300);
      // The worker's user may no longer send CLIENT: the unblock fails.
      await admin.send(['ACL', 'SETUSER', 'acker', '-client']);
      await queue.pause();
      await waitFor(() => errors.length > 0, 5000, 'the refused unblock reported');
      expect(errors[0]?.message).toMatch(/NOPERM/);
      expect(worker.isPaused).toBe(true);
      await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
      expect(await worker.close(1000)).toEqual({ abandoned: 0 });
    } finally {
      await server.stop();
    }
  });
});

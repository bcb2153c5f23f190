// A reclaim pass can hand a worker back a job it runs itself (its heartbeat failed, so the job
// went idle past the visibility timeout): the worker does not report it as stalled nor run it
// a second time.
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/queue/index.js';
import { privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, latch, queueOfRefusableUser, waitFor } from './helpers.js';

const server = privateServers();

// A private server: the test takes the right to run XCLAIM (the heartbeat's) from a user of its own.
describe.runIf(target === 'standalone')(`A reclaim that hands back a job of its own (${driver})`, () => {
  it('is neither reported as stalled nor run twice', async () => {
    const { admin, queue } = await queueOfRefusableUser(await server(), 'own');
    const { stream } = queue.keys;
    const [released, release] = latch();
    let runs = 0;
    const worker = closeAfterTest(
      await queue.process(
        async () => {
          runs++;
          await released;
        },
        // A free slot: a worker with none reclaims nothing.
        { concurrency: 2, visibilityTimeoutMs: 300, promoteIntervalMs: 50 },
      ),
    );
    worker.on('error', () => {});
    const stalled: Job<string>[] = [];
    worker.on('stalled', (jobs) => stalled.push(...jobs));
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.add('refill', 'rx-1', { attempts: 10 });
    await waitFor(() => worker.running === 1, 5000, 'the job running');
    // The heartbeat (XCLAIM) is refused; the reclaim (XAUTOCLAIM) still runs.
    await admin.send(['ACL', 'SETUSER', 'acker', '-xclaim']);
    const deliveries = async () => {
      const [entry] = (await admin.send(['XPENDING', stream, queue.group, '-', '+', 1])) as [string, string, number, number][];
      return Number(entry?.[3] ?? 0);
    };
    await waitFor(async () => (await deliveries()) >= 3, 10_000, 'two reclaims of the running job');
    expect(stalled).toEqual([]);
    expect(runs).toBe(1);
    await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
    release();
    await waitFor(() => completed === 1, 5000, 'the job to complete');
    expect(runs).toBe(1);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });
});

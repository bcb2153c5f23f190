// A worker whose reads Redis refuses reports each refusal and tries again after a growing
// backoff (100 ms doubling, jittered), not in a busy loop; once reads are allowed again it runs
// what waited. The refusal is real: the worker's user loses the right to XREADGROUP (ACL).
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import type { Worker } from '../../src/queue/index.js';
import { driver } from '../harness/redis.js';
import { closeAfterTest, queueOfRefusableUser, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(1000));
}

describe(`Reads Redis refuses (${driver})`, () => {
  it('are reported and retried with a growing backoff: a handful in 3 s, then the job runs', async () => {
    const server = await startRedis();
    try {
      const { admin, queue } = await queueOfRefusableUser(server, 'reads');
      const seen: string[] = [];
      const worker = closing(await queue.process((job) => void seen.push(job.data), { blockMs: 100, promoteIntervalMs: 60_000 }));
      const refused: number[] = [];
      worker.on('error', (e) => {
        if (/NOPERM/.test(e.message)) refused.push(Date.now());
      });
      await admin.send(['ACL', 'SETUSER', 'acker', '-xreadgroup']);
      await waitFor(() => refused.length > 0, 5000, 'a refused read');
      const first = refused[0] as number;
      await waitFor(() => Date.now() - first >= 3000, 5000, 'three seconds of refusals');
      // Delays of 100 ms doubling, each 50 to 100 % of that: 5 to 7 reads in 3 s.
      const inWindow = refused.filter((t) => t - first <= 3000).length;
      expect(inWindow).toBeGreaterThanOrEqual(3);
      expect(inWindow).toBeLessThanOrEqual(12);
      await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
      await queue.add('x', 'after');
      await waitFor(() => seen.length === 1, 10_000, 'the job once reads go through');
      expect(await worker.close(1000)).toEqual({ abandoned: 0 });
    } finally {
      await server.stop();
    }
  });
});

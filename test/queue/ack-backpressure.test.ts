// Backpressure from acknowledgements: while Redis refuses the ack calls, a worker stops fetching
// once twice its concurrency of completed jobs wait for their ack, so a worker that dies then
// leaves at most that many (plus its running jobs) to run again. The refusal is real: the
// worker's user loses the right to run scripts (ACL); plain reads still go through.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import type { Worker } from '../../src/queue/index.js';
import { driver } from '../harness/redis.js';
import { closeAfterTest, queueOfRefusableUser, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

describe(`Fetching while acks are refused (${driver})`, () => {
  for (const [concurrency, least, most] of [
    [1, 2, 2],
    [2, 4, 5],
  ] as const) {
    it(`with concurrency ${concurrency}, stops after ${least === most ? least : `${least} to ${most}`} completed jobs wait for their ack`, async () => {
      const server = await startRedis();
      try {
        const { admin, queue } = await queueOfRefusableUser(server, 'backpressure');
        await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'x', data: `job-${i}` })));
        await admin.send(['ACL', 'SETUSER', 'acker', '-evalsha', '-eval']);
        let runs = 0;
        const worker = closing(await queue.process(() => void runs++, { concurrency, blockMs: 100, promoteIntervalMs: 60_000 }));
        const errors: Error[] = [];
        worker.on('error', (e) => errors.push(e));
        await waitFor(() => runs >= least && errors.length > 0, 5000, 'refused acks');
        // Reads would have gone on meanwhile: blockMs is 100 and 20 jobs wait.
        await sleep(600);
        expect(runs).toBeGreaterThanOrEqual(least);
        expect(runs).toBeLessThanOrEqual(most);
        expect(worker.running).toBe(0);
        await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
        await waitFor(() => runs === 20, 10_000, 'the rest once acks go through');
        expect(await worker.close(1000)).toEqual({ abandoned: 0 });
      } finally {
        await server.stop();
      }
    });
  }
});

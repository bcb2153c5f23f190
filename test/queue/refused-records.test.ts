// Outcomes Redis refuses to record: a failed try, and a rate-limit check with the deferral
// after it. Each refusal is an error event; the job stays pending with its worker, for the
// reclaim after the visibility timeout. The refusal is real: the worker's user loses the
// right to run scripts (ACL) while the job runs.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { StreamQueue, type Worker } from '../../src/queue/index.js';
import { driver } from '../harness/redis.js';
import { closeAfterTest, latch, queueOfRefusableUser, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

// No maintenance pass but the first (right after the start, waited for), no heartbeat: every
// error event is one the test causes.
const quiet = { blockMs: 100, promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 };

describe(`Outcomes Redis refuses to record (${driver})`, () => {
  it('a failed try whose record is refused: failed, then an error event; no retry, the job stays pending', async () => {
    const server = await startRedis();
    try {
      const { admin, queue } = await queueOfRefusableUser(server, 'fails');
      const [gate, open] = latch();
      const worker = closing(
        await queue.process(
          async () => {
            await gate;
            throw new Error('pharmacy offline');
          },
          { ...quiet, backoff: { baseMs: 0 } },
        ),
      );
      const events: string[] = [];
      worker.on('failed', () => events.push('failed'));
      worker.on('retrying', () => events.push('retrying'));
      worker.on('deadLettered', () => events.push('deadLettered'));
      worker.on('error', (e) => events.push(`error: ${e.message.slice(0, 7)}`));
      await sleep(500);
      await queue.add('refill', 'rx-1', { attempts: 3 });
      await waitFor(() => worker.running === 1, 5000, 'the job to run');
      await admin.send(['ACL', 'SETUSER', 'acker', '-evalsha', '-eval']);
      open();
      await waitFor(() => worker.running === 0, 5000, 'the try to end');
      await sleep(200);
      expect(events).toEqual(['failed', 'error: NOPERM ']);
      await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
      expect(await queue.counts()).toEqual({ waiting: 0, pending: 1, delayed: 0, dead: 0 });
      expect(await worker.close(0)).toEqual({ abandoned: 0 });
    } finally {
      await server.stop();
    }
  });

  it('a rate-limit check refused, and the deferral after it: two error events, the job stays pending unrun', async () => {
    const server = await startRedis();
    try {
      const { admin, connection } = await queueOfRefusableUser(server, 'unused');
      const queue = new StreamQueue<string>({ connection, name: 'limited', rateLimit: { limit: 10, windowMs: 1000 } });
      let runs = 0;
      const worker = closing(await queue.process(() => void runs++, quiet));
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      await sleep(500);
      await queue.ensureGroup();
      await admin.send(['ACL', 'SETUSER', 'acker', '-evalsha', '-eval']);
      // A plain XADD: the producer needs no script.
      const { stream } = queue.keys;
      await admin.send(['XADD', stream, '*', 'n', 'refill', 'd', '"rx-1"', 'm', '3']);
      await waitFor(() => errors.length >= 2, 5000, 'the refused check and deferral');
      await sleep(300);
      expect(errors.map((e) => e.message.slice(0, 7))).toEqual(['NOPERM ', 'NOPERM ']);
      expect(runs).toBe(0);
      await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
      expect(await queue.counts()).toEqual({ waiting: 0, pending: 1, delayed: 0, dead: 0 });
      expect(await worker.close(0)).toEqual({ abandoned: 0 });
    } finally {
      await server.stop();
    }
  });
});

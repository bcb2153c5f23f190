// A job whose handler succeeded stays claimed by its worker (heartbeat) while Redis refuses its
// acknowledgement: another worker does not take it over as stalled, and `completed` fires once
// the ack goes through. Only the ack is refused (the worker's user loses XACK, which the ack
// script calls); heartbeats and reclaims still run.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import type { Worker } from '../../src/queue/index.js';
import { driver } from '../harness/redis.js';
import { closeAfterTest, queueOfRefusableUser, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

describe(`A completed job whose ack Redis refuses (${driver})`, () => {
  it('stays with its worker past the visibility timeout: no other worker takes it over', async () => {
    const server = await startRedis();
    try {
      const { admin, queue } = await queueOfRefusableUser(server, 'claimed');
      const options = { blockMs: 100, promoteIntervalMs: 50, visibilityTimeoutMs: 600 };
      const first = closing(await queue.process(() => 'done', { ...options, consumer: 'first' }));
      const errors: Error[] = [];
      first.on('error', (e) => errors.push(e));
      let completed = 0;
      first.on('completed', () => completed++);
      await admin.send(['ACL', 'SETUSER', 'acker', '-xack']);
      await queue.add('refill', 'rx-1');
      await waitFor(() => errors.length > 0, 5000, 'a refused ack');
      const second = closing(await queue.process(() => 'again', { ...options, consumer: 'second' }));
      let stalled = 0;
      second.on('stalled', (jobs) => {
        stalled += jobs.length;
      });
      // Three visibility timeouts: the entry would have gone idle and been reclaimed.
      await sleep(1800);
      expect(stalled).toBe(0);
      expect(completed).toBe(0);
      expect(await queue.activeByConsumer()).toEqual({ first: 1 });
      // Delivered once: no reclaim claimed it meanwhile (a claim counts a delivery).
      const { stream } = queue.keys;
      const pending = (await admin.send(['XPENDING', stream, queue.group, '-', '+', 10])) as [string, string, number, number][];
      expect(pending.map(([, consumer, , deliveries]) => [consumer, deliveries])).toEqual([['first', 1]]);
      await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
      await waitFor(() => completed === 1, 5000, 'the ack to go through');
      expect(stalled).toBe(0);
      expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
      expect(await first.close(1000)).toEqual({ abandoned: 0 });
      expect(await second.close(1000)).toEqual({ abandoned: 0 });
    } finally {
      await server.stop();
    }
  });
});

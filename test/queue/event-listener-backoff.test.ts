// A QueueEvents listener whose reads Redis keeps refusing retries with a growing backoff (100 ms,
// doubling, jittered), not in a hot loop: Redis's ACL log counts the refused reads. Closed
// during a backoff, it has no read to unblock.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import type { RedisConnection } from '../../src/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, queueOfRefusableUser, waitFor } from './helpers.js';

// How many XREAD calls the ACL log has recorded as refused.
async function refusedReads(admin: RedisConnection): Promise<number> {
  const entries = (await admin.send(['ACL', 'LOG'])) as unknown[];
  let count = 0;
  for (const entry of entries) {
    const fields = Array.isArray(entry) ? entry : Object.entries(entry as object).flat();
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    if (String(field('object')) === 'xread') count += Number(field('count'));
  }
  return count;
}

describe(`QueueEvents backoff on ${target} via ${driver}`, () => {
  it('refused reads are retried after 100 ms, doubling: a handful in 1.5 s', async () => {
    const server = await startRedis();
    try {
      const { admin, connection } = await queueOfRefusableUser(server, 'backoff');
      const queue = new StreamQueue<number>({ connection, name: 'backoff', events: true });
      await admin.send(['ACL', 'SETUSER', 'acker', '-xread']);
      const listener = closeAfterTest(queue.events());
      const errors: Error[] = [];
      listener.on('error', (e) => errors.push(e));
      await listener.start();
      await waitFor(() => errors.length > 0, 5000, 'the first refusal');
      await new Promise((r) => setTimeout(r, 1500));
      // Waits of 50-100, 100-200, 200-400, 400-800 and 800-1600 ms: 4 to 6 reads in all.
      const refused = await refusedReads(admin);
      expect(refused).toBeGreaterThanOrEqual(4);
      expect(refused).toBeLessThanOrEqual(6);
      await listener.close();
    } finally {
      await server.stop();
    }
  });

  it('close() during a backoff sends no unblock: no read is blocked', async () => {
    const server = await startRedis();
    try {
      const { admin, connection } = await queueOfRefusableUser(server, 'closing');
      const queue = new StreamQueue<number>({ connection, name: 'closing', events: true });
      await admin.send(['ACL', 'SETUSER', 'acker', '-xread']);
      const listener = queue.events();
      let closed: Promise<void> | undefined;
      // Called as the first refusal is reported, before the listener backs off.
      listener.on('error', () => {
        closed ??= listener.close();
      });
      const { byCommand } = await countCommands(connection, async () => {
        await listener.start();
        await waitFor(() => closed !== undefined, 5000, 'the first refusal');
        await closed;
      });
      expect(byCommand['client|unblock']).toBeUndefined();
      expect(byCommand['client|id']).toBe(1);
    } finally {
      await server.stop();
    }
  });
});

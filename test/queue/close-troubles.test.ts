// close() when Redis gets in its way: a closed shared connection (the blocking read is then
// ended by closing the reader's own connection, not waited out), and a refused removal of the
// worker's consumer (reported, and close() still resolves).
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { RedisConnection } from '../../src/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { driver } from '../harness/redis.js';
import { queueOfRefusableUser, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`close() and Redis trouble (${driver})`, () => {
  it('after the queue connection was closed, ends the blocking read at once instead of waiting out blockMs', async () => {
    const server = await startRedis();
    try {
      const connection = await RedisConnection.connect({ url: server.url, driver });
      const queue = new StreamQueue({ connection, name: 'closed-first' });
      const worker = await queue.process(() => undefined, { blockMs: 8000, promoteIntervalMs: 60_000 });
      worker.on('error', () => {});
      await sleep(300);
      // The app closed its connection before its worker: CLIENT UNBLOCK cannot be sent any more.
      await connection.close();
      const started = performance.now();
      expect(await worker.close(100)).toEqual({ abandoned: 0 });
      expect(performance.now() - started).toBeLessThan(4000);
    } finally {
      await server.stop();
    }
  });

  it('reports a refused removal of its consumer as an error event, and still resolves', async () => {
    const server = await startRedis();
    try {
      const { admin, queue } = await queueOfRefusableUser(server, 'leaving');
      let ran = 0;
      const worker = await queue.process(() => void ran++, { consumer: 'leaving-1', blockMs: 100, promoteIntervalMs: 60_000 });
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      // A job run, so that Redis 7.0 lists the consumer too (it lists one only once it fetched).
      await queue.add('x', 'one');
      await waitFor(async () => ran === 1 && (await queue.counts()).pending === 0, 5000, 'the job');
      await admin.send(['ACL', 'SETUSER', 'acker', '-xgroup|delconsumer']);
      expect(await worker.close(1000)).toEqual({ abandoned: 0 });
      expect(errors).toHaveLength(1);
      // Redis and Valkey word the refusal inside a script differently.
      expect(errors[0]?.message).toMatch(/can't run this command|no permissions/);
      // Still in the group: removeIdleConsumers() can delete it later.
      const { stream } = queue.keys;
      const consumers = (await admin.send(['XINFO', 'CONSUMERS', stream, queue.group])) as unknown[][];
      expect(consumers.map((c) => c[c.indexOf('name') + 1])).toEqual(['leaving-1']);
    } finally {
      await server.stop();
    }
  });
});

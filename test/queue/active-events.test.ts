// The `active` events a worker publishes (queues with `events`): one script call per read that
// delivered jobs, none for a read that delivered nothing, and a refused one is an error event.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { StreamQueue, type Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, latch, queueOfRefusableUser, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

// No maintenance pass but the first (right after the start, waited for), no heartbeat.
const quiet = { blockMs: 100, promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 };

describe(`Active events of a worker on ${target} via ${driver}`, () => {
  it('an idle worker reads again and again and publishes nothing: no script call', async () => {
    const { connection, queue } = await freshQueue({ events: true });
    closing(await queue.process(() => undefined, quiet));
    await sleep(500);
    const { byCommand } = await countCommands(connection, () => sleep(1000));
    // Reads of 100 ms: several in the second, each ending empty.
    expect(byCommand.xreadgroup).toBeGreaterThanOrEqual(3);
    expect(byCommand.evalsha ?? 0).toBe(0);
  });

  it('a refused publication is an error event, before the handler runs', async () => {
    const server = await startRedis();
    try {
      const { admin, connection } = await queueOfRefusableUser(server, 'unused');
      const queue = new StreamQueue<string>({ connection, name: 'active', events: true });
      const [gate, open] = latch();
      let started = 0;
      const worker = closing(
        await queue.process(async () => {
          started++;
          await gate;
        }, quiet),
      );
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      await sleep(500);
      await admin.send(['ACL', 'SETUSER', 'acker', '-evalsha', '-eval']);
      // A plain XADD: the producer needs no script.
      await admin.send(['XADD', queue.keys.stream, '*', 'n', 'refill', 'd', '"rx-1"', 'm', '3']);
      await waitFor(() => started === 1, 5000, 'the handler');
      expect(errors.map((e) => e.message.slice(0, 7))).toEqual(['NOPERM ']);
      await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
      open();
      expect(await worker.close(1000)).toEqual({ abandoned: 0 });
    } finally {
      await server.stop();
    }
  });
});

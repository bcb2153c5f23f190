// A worker's blocking reader (store.ts openReader): its reads outlast the connection's command
// timeout, an idle worker blocks instead of spinning, an interrupt goes only to a read in flight
// (on a cluster, on its node), and neither a refused start nor a close leaves a connection
// behind, also when the shared connection was closed first.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { StreamQueue, type StreamQueueOptions, type Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { closeAfterAll, driver, target, testConnection } from '../harness/redis.js';
import { clientCount, closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Worker reader on ${target} via ${driver}`, () => {
  for (const [kind, options] of [
    ['plain (XREADGROUP)', {}],
    ['prioritized (XREAD on the signal stream)', { priorities: true }],
  ] as [string, Partial<StreamQueueOptions>][]) {
    it(`a ${kind} blocking read longer than the command timeout is not cut off by it`, async () => {
      const connection = await testConnection({ commandTimeoutMs: 300 });
      const queue = new StreamQueue<number>({ connection, name: 'jobs', ...options });
      const errors: Error[] = [];
      const seen: number[] = [];
      const worker = closing(await queue.process((job) => void seen.push(job.data), { blockMs: 1500 }));
      worker.on('error', (err) => errors.push(err));
      // Two full reads with nothing to deliver: each waits 1500 ms, five times the timeout.
      await sleep(3500);
      await queue.add('x', 1);
      await waitFor(() => seen.length === 1, 10_000, 'the job');
      expect(errors).toEqual([]);
    });
  }

  it('an idle prioritized worker blocks between its fetches instead of asking again at once', async () => {
    const { connection, queue } = await freshQueue<number>({ priorities: true });
    closing(await queue.process(() => undefined, { blockMs: 1000, promoteIntervalMs: 60_000 }));
    const { byCommand } = await countCommands(connection, () => sleep(2500));
    // About three fetches (one per blockMs); a wait that returned at once would make hundreds.
    expect(byCommand.evalsha ?? 0).toBeLessThan(20);
  });

  it('pausing a worker busy with a job (not reading) sends no CLIENT UNBLOCK', async () => {
    const { connection, queue } = await freshQueue<number>();
    const [gate, release] = latch();
    let running = 0;
    const worker = closing(
      await queue.process(
        async () => {
          running++;
          await gate;
        },
        { concurrency: 1 },
      ),
    );
    await queue.add('x', 1);
    await waitFor(() => running === 1, 5000, 'the job to run');
    // Its one slot is busy: the worker waits for it to free, with no read in flight to end.
    const { byCommand } = await countCommands(connection, async () => {
      await queue.pause();
      await waitFor(() => worker.isPaused, 5000, 'the worker to pause');
    });
    expect(byCommand['client|unblock'] ?? 0).toBe(0);
    release();
  });

  it('close() ends the blocking read of queues in every slot at once (on a cluster, on the node of each)', async () => {
    const connection = await testConnection();
    // Twelve queues: on a cluster their streams spread over the nodes, not only the default one.
    const workers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        new StreamQueue<number>({ connection, name: `q${i}` }).process(() => undefined, { blockMs: 30_000 }),
      ),
    );
    for (const worker of workers) closeAfterAll({ close: () => worker.close(1000) });
    const started = performance.now();
    await Promise.all(workers.map((worker) => worker.close(1000)));
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  // Hosted Redis often refuses CLIENT commands; a private server lets the test refuse CLIENT ID.
  it.runIf(target === 'standalone')('a worker whose user may not run CLIENT ID fails to start and leaves no connection open', async () => {
    const server = await startRedis();
    const admin = await privateConnection(server);
    await admin.connection.send(['ACL', 'SETUSER', 'no-client-id', 'on', '>secret', '~*', '&*', '+@all', '-client|id']);
    const side = await privateConnection(`redis://no-client-id:secret@127.0.0.1:${server.port}`);
    const ofUser = async () =>
      String(await admin.connection.send(['CLIENT', 'LIST']))
        .split('\n')
        .filter((line) => line.includes(' user=no-client-id ')).length;
    try {
      const queue = new StreamQueue<number>({ connection: side.connection, name: 'jobs' });
      await expect(queue.process(() => undefined)).rejects.toThrow(/NOPERM|permission/i);
      // Only the side connection itself: the reader's own was closed.
      await waitFor(async () => (await ofUser()) === 1, 10_000, 'the reader connection closed');
    } finally {
      side.close();
      admin.close();
      await server.stop();
    }
  });

  it('a closed worker leaves no connection open on the server', async () => {
    const { connection, queue } = await freshQueue<number>();
    const before = await clientCount(connection);
    const worker = await queue.process(() => undefined, { blockMs: 200 });
    expect(await clientCount(connection)).toBeGreaterThan(before);
    await worker.close(1000);
    await waitFor(async () => (await clientCount(connection)) === before, 10_000, 'the worker connections closed');
  });

  // Not on a node-redis cluster: once its graceful close began, destroy() is refused and the read
  // waits out blockMs (node-redis-adapter.ts forceClose).
  it.skipIf(target === 'cluster' && driver === 'node-redis')(
    'a worker closed after its shared connection ends its blocking read at once',
    async () => {
      const connection = await testConnection();
      const queue = new StreamQueue<number>({ connection, name: 'jobs' });
      const worker = await queue.process(() => undefined, { blockMs: 30_000 });
      worker.on('error', () => {});
      // The client under it too: no command of the shared connection can reach Redis any more.
      await connection.close();
      await connection.client.close();
      const started = performance.now();
      await worker.close(1000);
      expect(performance.now() - started).toBeLessThan(10_000);
    },
  );
});

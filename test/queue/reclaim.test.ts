// The reclaim step of a worker does not take back its own jobs: a job whose handler finished
// but whose acknowledgement Redis keeps refusing goes idle in the pending list, and the
// worker's own reclaim pass claims it; it must not run the job a second time. Redis refuses
// for real: the worker's user loses the right to run the ack script (ACL), and only that one.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { StreamQueue } from '../../src/queue/index.js';
import * as queueScripts from '../../src/queue/scripts.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { closeAfterAll, driver } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

// The sha of every queue script but the ack: the ones the worker may still run.
const allowedShas = Object.values(queueScripts)
  .filter((s): s is typeof queueScripts.ackScript => typeof s === 'object' && s !== null && 'sha' in s && s !== queueScripts.ackScript)
  .map((s) => s.sha);

describe(`Reclaim of a worker's own entries (${driver})`, () => {
  it('a job whose ack is refused past the visibility timeout is claimed by its own worker but not run again', async () => {
    const server = await startRedis();
    try {
      const admin = await privateConnection(server);
      closeAfterAll({ close: async () => admin.close() });
      await admin.connection.send(['ACL', 'SETUSER', 'acker', 'on', '>secret', '~*', '&*', '+@all']);
      const side = await privateConnection(`redis://acker:secret@127.0.0.1:${server.port}`);
      closeAfterAll({ close: async () => side.close() });
      const queue = new StreamQueue<string>({ connection: side.connection, name: 'own' });
      const { stream } = queue.keys;
      const runs: string[] = [];
      let stalled = 0;
      let completed = 0;
      const worker = await queue.process((job) => void runs.push(job.data), { blockMs: 100, visibilityTimeoutMs: 1000 });
      closeAfterTest(worker, () => worker.close(1000));
      worker.on('error', () => {});
      worker.on('stalled', () => stalled++);
      worker.on('completed', () => completed++);
      await admin.connection.send(['ACL', 'SETUSER', 'acker', '-evalsha', ...allowedShas.map((sha) => `+evalsha|${sha}`)]);
      await queue.add('refill', 'rx-1');
      // Delivered once by the fetch, then once more by the worker's own reclaim pass.
      const deliveries = async () => {
        const rows = (await admin.connection.send(['XPENDING', stream, queue.group, '-', '+', 10])) as [string, string, number, number][];
        return Number(rows[0]?.[3] ?? 0);
      };
      await waitFor(async () => (await deliveries()) >= 2, 10_000, 'the own reclaim of the unacknowledged job');
      await admin.connection.send(['ACL', 'SETUSER', 'acker', '+@all']);
      await waitFor(() => completed === 1, 10_000, 'the ack to go through');
      expect(runs).toEqual(['rx-1']);
      expect(stalled).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('looks for stalled jobs every half visibility timeout: not at every maintenance pass, not rarer', async () => {
    // Passes come every 50 ms; a reclaim pass (one XAUTOCLAIM) at most every 500 ms. A stalled
    // job then waits at most 1.5 timeouts, and an idle worker costs one call per half timeout.
    const { connection, queue } = await freshQueue<string>();
    const worker = await queue.process(() => undefined, { blockMs: 100, visibilityTimeoutMs: 1000, promoteIntervalMs: 50 });
    closeAfterTest(worker, () => worker.close(1000));
    const windowMs = 6000;
    const { byCommand } = await countCommands(connection, async () => {
      const started = Date.now();
      await waitFor(() => Date.now() - started >= windowMs, windowMs + 5000, 'the measuring window');
    });
    const passes = byCommand.xautoclaim ?? 0;
    // About 12: a loaded machine delays timers (fewer) and the end of the window (one more).
    expect(passes).toBeGreaterThanOrEqual(6);
    expect(passes).toBeLessThanOrEqual(14);
  });
});

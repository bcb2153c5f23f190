// A job whose handler finished but whose acknowledgement Redis keeps refusing stays claimed by
// its worker (the heartbeat goes on until the ack goes through): it is neither reclaimed as
// stalled nor dead-lettered. Should the heartbeat fail too, the entry goes idle and the
// worker's own reclaim pass claims it: it must not run the job a second time. Redis refuses
// for real: the worker's user loses the right to run the ack script (ACL), and the heartbeat's.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import type { StreamQueue } from '../../src/queue/index.js';
import * as queueScripts from '../../src/queue/scripts.js';
import { countCommands } from '../harness/command-counter.js';
import { driver } from '../harness/redis.js';
import { closeAfterTest, freshQueue, queueOfRefusableUser, waitFor } from './helpers.js';

// The sha of every queue script but those refused: the ones the worker may still run.
const shasBut = (...refused: unknown[]) =>
  Object.values(queueScripts)
    .filter((s): s is typeof queueScripts.ackScript => typeof s === 'object' && s !== null && 'sha' in s && !refused.includes(s))
    .map((s) => s.sha);

// A queue on a private server, run as a user the test can refuse scripts to.
async function refusable(server: Awaited<ReturnType<typeof startRedis>>) {
  const { admin, queue } = await queueOfRefusableUser(server, 'own');
  const deliveries = async () => {
    const rows = (await admin.send(['XPENDING', queue.keys.stream, queue.group, '-', '+', 10])) as [string, string, number, number][];
    return Number(rows[0]?.[3] ?? 0);
  };
  return {
    queue,
    deliveries,
    refuse: async (...scripts: unknown[]) =>
      void (await admin.send(['ACL', 'SETUSER', 'acker', '-evalsha', ...shasBut(...scripts).map((sha) => `+evalsha|${sha}`)])),
    allowAll: async () => void (await admin.send(['ACL', 'SETUSER', 'acker', '+@all'])),
  };
}

// A worker (visibility timeout 1 s) and what it reports: jobs run, stalled and dead-lettered, completions.
async function watchedWorker(queue: StreamQueue<string>) {
  const seen = { runs: [] as string[], dead: [] as string[], stalled: 0, completed: 0 };
  const worker = await queue.process((job) => void seen.runs.push(job.data), { blockMs: 100, visibilityTimeoutMs: 1000 });
  closeAfterTest(worker, () => worker.close(1000));
  worker.on('error', () => {});
  worker.on('stalled', () => seen.stalled++);
  worker.on('deadLettered', (job) => seen.dead.push(job.data));
  worker.on('completed', () => seen.completed++);
  return seen;
}

describe(`Reclaim of a worker's own entries (${driver})`, () => {
  it('a job whose ack is refused for several visibility timeouts stays claimed: not reclaimed, not dead-lettered, completed once', async () => {
    const server = await startRedis();
    try {
      const { queue, deliveries, refuse, allowAll } = await refusable(server);
      const seen = await watchedWorker(queue);
      await refuse(queueScripts.ackScript);
      await queue.add('refill', 'rx-1');
      await waitFor(() => seen.runs.length === 1, 5000, 'the job to run');
      // Five visibility timeouts: past the default maxAttempts (3) had each reclaim pass taken it.
      await new Promise((r) => setTimeout(r, 5000));
      expect(await deliveries()).toBe(1);
      expect(seen.dead).toEqual([]);
      await allowAll();
      await waitFor(() => seen.completed === 1, 10_000, 'the ack to go through');
      expect(seen.runs).toEqual(['rx-1']);
      expect(seen.stalled).toBe(0);
      expect((await queue.listDead({ count: 10 })).jobs).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('a job whose ack and heartbeat are refused is claimed by its own worker but not run again', async () => {
    const server = await startRedis();
    try {
      const { queue, deliveries, refuse, allowAll } = await refusable(server);
      const seen = await watchedWorker(queue);
      await refuse(queueScripts.ackScript, queueScripts.heartbeatScript);
      await queue.add('refill', 'rx-1');
      // Delivered once by the fetch, then once more by the worker's own reclaim pass.
      await waitFor(async () => (await deliveries()) >= 2, 10_000, 'the own reclaim of the unacknowledged job');
      await allowAll();
      await waitFor(() => seen.completed === 1, 10_000, 'the ack to go through');
      expect(seen.runs).toEqual(['rx-1']);
      expect(seen.stalled).toBe(0);
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

// A worker's maintenance passes (promotion of delayed jobs, due schedules, the sweep of trimmed
// ids): what a pass asks Redis for, how often, and that none comes after close().
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import type { Worker } from '../../src/queue/index.js';
import * as queueScripts from '../../src/queue/scripts.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, latch, queueOfRefusableUser, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Worker maintenance on ${target} via ${driver}`, () => {
  it('a closed worker runs no more passes: a job it retried while closing stays in the delayed set', async () => {
    const { queue } = await freshQueue<string>();
    const [gate, open] = latch();
    const worker = closing(
      await queue.process(
        async () => {
          await gate;
          throw new Error('not now');
        },
        // Its passes are far apart: a retry's own wake-up would be the next one.
        { promoteIntervalMs: 60_000, backoff: { baseMs: 100, maxMs: 100, jitter: 0 } },
      ),
    );
    await queue.add('x', 'retried', { jobId: 'retried', attempts: 3 });
    await waitFor(() => worker.running === 1, 5000, 'the job to run');
    const closed = worker.close(5000);
    open();
    expect(await closed).toEqual({ abandoned: 0 });
    expect(await queue.getJob('retried')).toMatchObject({ state: 'retrying', attemptsMade: 1 });
    // Due 100 ms later: no pass of the closed worker moves it to the stream.
    await sleep(500);
    expect(await queue.getJob('retried')).toMatchObject({ state: 'retrying' });
  });

  it('a pass is one promote.lua call: a schedule not due yet is not read, a job running under a third of the visibility timeout gets no heartbeat', async () => {
    const { connection, queue } = await freshQueue();
    await queue.upsertSchedule('hourly', { everyMs: 3_600_000 }, { name: 'digest', data: 1 });
    const [gate, open] = latch();
    const worker = closing(await queue.process(() => gate, { promoteIntervalMs: 50, visibilityTimeoutMs: 60_000 }));
    await sleep(100);
    // Each pass: promote.lua, with its ZRANGEBYSCORE of due delayed jobs and two ZRANGE (the next
    // delayed job, the next schedule). due-schedules.lua would add two ZRANGEBYSCORE.
    const perPass = (byCommand: Record<string, number>) => {
      // About 20 passes in the second: fewer on a loaded machine, never many more.
      expect(byCommand.zrange).toBeGreaterThanOrEqual(10);
      expect(byCommand.zrange).toBeLessThanOrEqual(2 * 22);
      expect(byCommand.zrangebyscore).toBe((byCommand.zrange ?? 0) / 2);
      expect(byCommand.evalsha).toBe((byCommand.zrange ?? 0) / 2);
    };
    perPass((await countCommands(connection, () => sleep(1000))).byCommand);
    await queue.add('x', 1);
    await waitFor(() => worker.running === 1, 5000, 'the job to run');
    perPass((await countCommands(connection, () => sleep(1000))).byCommand);
    open();
  });

  it('passes come at least every third of the visibility timeout, however long promoteIntervalMs: the heartbeat beats the timeout', async () => {
    const { connection, queue } = await freshQueue<string>();
    const { stream } = queue.keys;
    const [gate, open] = latch();
    let entryId = '';
    closing(
      await queue.process(
        async (job) => {
          entryId = job.entryId;
          await gate;
        },
        { promoteIntervalMs: 60_000, visibilityTimeoutMs: 600 },
      ),
    );
    await queue.add('x', 'long');
    await waitFor(() => entryId !== '', 5000, 'the long job to run');
    await sleep(1000);
    const [pending] = (await connection.send(['XPENDING', stream, queue.group, entryId, entryId, 1], stream)) as [string, string, number][];
    // Passes every 200 ms, each claiming again what ran 200 ms and more: idle 400 ms at most.
    expect(pending?.[2]).toBeLessThan(450);
    open();
  });

  it("a retry's wake-up, later than the next pass, does not put that pass off: a long job's heartbeat goes on", async () => {
    const { connection, queue } = await freshQueue<string>();
    const { stream } = queue.keys;
    const [gate, open] = latch();
    let entryId = '';
    const worker = closing(
      await queue.process(
        async (job) => {
          if (job.data === 'fails') throw new Error('again in 5 s');
          entryId = job.entryId;
          await gate;
        },
        // Passes every 50 ms; a heartbeat for jobs running 200 ms and more.
        { concurrency: 2, promoteIntervalMs: 50, visibilityTimeoutMs: 600, backoff: { baseMs: 5000, maxMs: 5000, jitter: 0 } },
      ),
    );
    let failed = 0;
    worker.on('failed', () => failed++);
    await queue.add('x', 'long');
    await waitFor(() => entryId !== '', 5000, 'the long job to run');
    await queue.add('x', 'fails', { jobId: 'fails', attempts: 2 });
    await waitFor(async () => (await queue.getJob('fails'))?.state === 'retrying', 5000, 'the retry');
    expect(failed).toBe(1);
    const { byCommand } = await countCommands(connection, () => sleep(1000));
    // One heartbeat (one XPENDING for the entry) every 200 ms or so, not one at every pass.
    expect(byCommand.xpending).toBeGreaterThanOrEqual(2);
    expect(byCommand.xpending).toBeLessThanOrEqual(8);
    const [pending] = (await connection.send(['XPENDING', stream, queue.group, entryId, entryId, 1], stream)) as [string, string, number][];
    // Claimed again by a heartbeat at most ~250 ms ago, not idle since the fetch.
    expect(pending?.[2]).toBeLessThan(450);
    open();
  });

  it('without maxLen there is nothing to sweep: no pass scans the ids hash', async () => {
    const { connection, queue } = await freshQueue();
    await queue.add('x', 1, { jobId: 'kept' });
    const { byCommand } = await countCommands(connection, async () => {
      closing(await queue.process(() => undefined, { promoteIntervalMs: 50, visibilityTimeoutMs: 300 }));
      await sleep(1000);
    });
    expect(byCommand.zrange).toBeGreaterThanOrEqual(10);
    expect(byCommand.hscan).toBeUndefined();
    // Nor, without schedules, anything to fire: each pass is promote.lua alone.
    expect(byCommand.zrangebyscore).toBe((byCommand.zrange ?? 0) / 2);
  });

  it('with maxLen, a sweep of one step (a small ids hash) still comes once per visibility timeout, not at every pass', async () => {
    const { connection, queue } = await freshQueue<number>({ maxLen: 10 });
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'x', data: i, options: { jobId: `id-${i}` } })));
    const { byCommand } = await countCommands(connection, async () => {
      closing(await queue.process(() => undefined, { promoteIntervalMs: 50, visibilityTimeoutMs: 60_000 }));
      await sleep(1000);
    });
    expect(byCommand.zrange).toBeGreaterThanOrEqual(10);
    expect(byCommand.hscan).toBe(1);
  });

  it('a job that ended is no longer kept claimed: no heartbeat asks for it', async () => {
    const { connection, queue } = await freshQueue();
    const worker = closing(await queue.process(() => sleep(10), { promoteIntervalMs: 50, visibilityTimeoutMs: 600 }));
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.add('x', 1);
    await waitFor(() => completed === 1, 5000, 'the job to complete');
    // Passes go on every 50 ms; a heartbeat would ask for the entry once it was claimed 200 ms ago.
    const { byCommand } = await countCommands(connection, () => sleep(800));
    expect(byCommand.zrange).toBeGreaterThanOrEqual(8);
    expect(byCommand.xpending).toBeUndefined();
  });

  it('with maxLen, a sweep walks the whole ids hash in consecutive passes, and starts again once per visibility timeout', async () => {
    const { connection, queue } = await freshQueue<number>({ maxLen: 10 });
    const { ids } = queue.keys;
    // 1,000 ids, most of their jobs trimmed from the stream: 200 per sweep step, one step a pass.
    await queue.addBulk(Array.from({ length: 1000 }, (_, i) => ({ name: 'x', data: i, options: { jobId: `id-${i}` } })));
    expect(await connection.send(['HLEN', ids], ids)).toBe(1000);
    expect((await queue.counts()).waiting).toBeLessThan(500);
    // The first sweep starts at once, and goes on at every pass until it is through.
    closing(await queue.process(() => undefined, { promoteIntervalMs: 50, visibilityTimeoutMs: 60_000, concurrency: 50 }));
    await waitFor(async () => Number(await connection.send(['HLEN', ids], ids)) === 0, 3000, 'every id swept');
    // Done: the next sweep starts a visibility timeout after this one.
    const after = await countCommands(connection, () => sleep(1000));
    expect(after.byCommand.zrange).toBeGreaterThanOrEqual(10);
    expect(after.byCommand.hscan).toBeUndefined();
  });

  it('a promotion Redis refuses is reported, and tried again at the next pass, not at once', async () => {
    const server = await startRedis();
    try {
      const { admin, queue } = await queueOfRefusableUser(server, 'refused');
      // The worker's user may run every queue script but promote.lua.
      const allowed = Object.values(queueScripts)
        .filter((v): v is typeof queueScripts.promoteScript => typeof v === 'object' && v !== null && 'sha' in v)
        .filter((v) => v !== queueScripts.promoteScript)
        .map((v) => `+evalsha|${v.sha}`);
      const worker = closing(await queue.process(() => undefined, { promoteIntervalMs: 100, visibilityTimeoutMs: 60_000, blockMs: 100 }));
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      await sleep(200);
      await admin.send(['ACL', 'SETUSER', 'acker', '-evalsha', '-eval', ...allowed]);
      const from = errors.length;
      await sleep(1000);
      // About 10 passes in the second, each reporting its refusal.
      const refused = errors.length - from;
      expect(refused).toBeGreaterThanOrEqual(3);
      expect(refused).toBeLessThanOrEqual(15);
      await worker.close(1000);
    } finally {
      await server.stop();
    }
  });
});

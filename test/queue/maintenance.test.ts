// A worker's maintenance passes (promotion of delayed jobs, due schedules, the sweep of trimmed
// ids): what a pass asks Redis for, how often, and that none comes after close().
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';

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
      expect(byCommand.zrange).toBeGreaterThanOrEqual(10);
      expect(byCommand.zrangebyscore).toBe((byCommand.zrange ?? 0) / 2);
      expect(byCommand.evalsha).toBe((byCommand.zrange ?? 0) / 2);
    };
    perPass((await countCommands(connection, () => sleep(1000))).byCommand);
    await queue.add('x', 1);
    await waitFor(() => worker.running === 1, 5000, 'the job to run');
    perPass((await countCommands(connection, () => sleep(1000))).byCommand);
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
});

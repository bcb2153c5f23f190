// One maintenance pass moves at most 1,000 due delayed jobs: with more due, the next pass comes
// at once rather than after the promote interval; with exactly that many, it waits for the next
// job that is due.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

// Passes far apart: only a pass the previous one asked for comes within a test.
const timing = { promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 };

describe(`promotion of many due delayed jobs on ${target} via ${driver}`, () => {
  it('1,001 jobs due at once all run within seconds: the pass that moved 1,000 is followed at once by another', async () => {
    const { queue } = await freshQueue<number>();
    await queue.addBulk(Array.from({ length: 1001 }, (_, i) => ({ name: 'x', data: i, options: { delayMs: 300 } })));
    let done = 0;
    closing(await queue.process(async () => void done++, { ...timing, concurrency: 50 }));
    await waitFor(() => done === 1001, 15_000, 'all 1,001 jobs to run');
  });

  it('exactly 1,000 due: the pass that moved them is followed by none until the next job is due', async () => {
    const { connection, queue } = await freshQueue<number>();
    await queue.addBulk(Array.from({ length: 1000 }, (_, i) => ({ name: 'x', data: i, options: { delayMs: 300 } })));
    await queue.add('x', -1, { delayMs: 60_000 });
    let done = 0;
    const { byCommand } = await countCommands(connection, async () => {
      closing(await queue.process(async () => void done++, { ...timing, concurrency: 50 }));
      await waitFor(() => done === 1000, 15_000, 'the 1,000 due jobs to run');
      await new Promise((r) => setTimeout(r, 500));
    });
    // promote.lua reads the due delayed jobs with one ZRANGEBYSCORE a pass: one pass at the
    // worker's start (nothing due yet), one when they are due, none after it.
    expect(byCommand.zrangebyscore).toBe(2);
  });
});

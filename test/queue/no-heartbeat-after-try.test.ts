// The heartbeat keeps only the entries a worker still runs (or acknowledges) claimed: once a try
// failed (its entry is gone to a retry or the dead letters), no heartbeat claims it again.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

describe(`The heartbeat after a failed try on ${target} via ${driver}`, () => {
  it('sends none for it: the passes after it run promote.lua and reclaim.lua only', async () => {
    const { connection, queue } = await freshQueue<string>();
    // Passes every 50 ms; a heartbeat for entries held 200 ms and more.
    const worker = closing(
      await queue.process(
        () => {
          throw new Error('no');
        },
        { promoteIntervalMs: 50, visibilityTimeoutMs: 600 },
      ),
    );
    let dead = 0;
    worker.on('deadLettered', () => dead++);
    await queue.add('x', 'doomed', { attempts: 1 });
    await waitFor(() => dead === 1, 5000, 'the dead letter');
    const { byCommand } = await countCommands(connection, () => sleep(1000));
    // Several passes: each one promote.lua call (one ZRANGEBYSCORE), every 300 ms reclaim.lua too
    // (one XAUTOCLAIM); no heartbeat.lua.
    expect(byCommand.zrangebyscore).toBeGreaterThanOrEqual(5);
    expect(byCommand.xclaim ?? 0).toBe(0);
    expect(byCommand.evalsha).toBe((byCommand.zrangebyscore ?? 0) + (byCommand.xautoclaim ?? 0));
  });
});

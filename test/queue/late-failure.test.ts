// A worker whose job another worker took over meanwhile fails it too late: Redis turns the
// failure record down (the new owner decides), and the late worker does nothing more about it:
// its span says `failed`, and it wakes no maintenance pass for a retry it did not schedule.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { telemetryPerTest } from '../otel/sdk.js';
import { closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

describe(`A failure recorded too late on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('ends the try as failed, with no retry and no maintenance pass', async () => {
    const sdk = record();
    const { connection, queue } = await freshQueue<string>();
    const [slowGate, releaseSlow] = latch();
    // No pass of its own for a minute; a retry after 100 ms, had its failure been recorded.
    const slow = closing(
      await queue.process(
        async () => {
          await slowGate;
          throw new Error('too late');
        },
        { consumer: 'hung', promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000, backoff: { baseMs: 100, jitter: 0 } },
      ),
    );
    const events: string[] = [];
    slow.on('failed', () => events.push('failed'));
    slow.on('retrying', () => events.push('retrying'));
    const { id } = await queue.add('report', 'r-1', { jobId: 'report:1' });
    await waitFor(async () => (await queue.getJob(id))?.consumer === 'hung', 5000, 'the hung worker to fetch it');
    // Another worker takes the job over, then goes away (closed, the job left pending with it).
    const [never] = latch();
    const taker = closing(await queue.process(() => never, { consumer: 'taker', visibilityTimeoutMs: 200, promoteIntervalMs: 50 }));
    let stalled = 0;
    taker.on('stalled', (jobs) => {
      stalled += jobs.length;
    });
    await waitFor(() => stalled === 1, 10_000, 'the reclaim');
    expect((await taker.close(0)).abandoned).toBe(1);
    await sleep(200);
    const { byCommand } = await countCommands(connection, async () => {
      releaseSlow();
      await waitFor(() => slow.running === 0, 5000, 'the late failure');
      await sleep(500);
    });
    expect(events).toEqual(['failed']);
    const late = sdk.spans('queue.process').filter((s) => s.attributes['redis_patterns.outcome'] !== undefined);
    expect(late.map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['failed']);
    // A pass is promote.lua, with its ZRANGEBYSCORE of due delayed jobs.
    expect(byCommand.zrangebyscore ?? 0).toBe(0);
    expect(await queue.getJob(id)).toMatchObject({ state: 'active', consumer: 'taker' });
  });
});

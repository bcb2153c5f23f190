// A worker moves what it put off itself back to the stream on time, without waiting for its
// next maintenance pass (a minute away here): a retry after its backoff, and a job a rate limit
// sent back to wait after that wait.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(1000));
}

// No pass for a minute: neither the interval nor the heartbeat (a third of the visibility timeout).
const noPasses = { promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Wake-ups of a worker on ${target} via ${driver}`, () => {
  it('a retry runs once its backoff is over', async () => {
    const { queue } = await freshQueue<string>();
    const tries: number[] = [];
    closing(
      await queue.process(
        (job) => {
          tries.push(Date.now());
          if (job.attemptsMade === 0) throw new Error('try again');
        },
        { ...noPasses, backoff: { baseMs: 300, jitter: 0 } },
      ),
    );
    await queue.add('x', 'flaky', { attempts: 2 });
    await waitFor(() => tries.length === 2, 5000, 'the second try');
    const [first, second] = tries as [number, number];
    expect(second - first).toBeGreaterThanOrEqual(290);
    expect(second - first).toBeLessThan(3000);
  });

  it('a job the queue-wide rate limit deferred runs once its wait is over', async () => {
    const { queue } = await freshQueue<number>({ rateLimit: { limit: 1, windowMs: 500 } });
    await queue.addBulk([0, 1].map((data) => ({ name: 'x', data })));
    const ran: [number, number][] = [];
    // Both jobs fetched in one read: the second is deferred by the limit.
    closing(await queue.process((job) => void ran.push([job.data, Date.now()]), { ...noPasses, concurrency: 2 }));
    await waitFor(() => ran.length === 2, 5000, 'the deferred job');
    const [[, first], [, second]] = ran as [[number, number], [number, number]];
    expect(second - first).toBeGreaterThanOrEqual(400);
    expect(second - first).toBeLessThan(3000);
  });

  it('a try that goes straight back to the stream or to the dead letters wakes no maintenance pass', async () => {
    const { connection, queue } = await freshQueue<string>();
    let tries = 0;
    const worker = closing(
      await queue.process(
        () => {
          tries++;
          throw new Error('no');
        },
        { ...noPasses, backoff: { baseMs: 0 } },
      ),
    );
    let dead = 0;
    worker.on('deadLettered', () => dead++);
    // The first pass (right after the start) is over.
    await sleep(500);
    const { byCommand } = await countCommands(connection, async () => {
      await queue.add('x', 'doomed', { attempts: 2 });
      await waitFor(() => dead === 1, 5000, 'the dead letter');
      await sleep(200);
    });
    expect(tries).toBe(2);
    // A pass is promote.lua, with its ZRANGEBYSCORE of due delayed jobs.
    expect(byCommand.zrangebyscore ?? 0).toBe(0);
  });
});

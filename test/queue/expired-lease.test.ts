// Under a queue-wide concurrency limit a slot also frees when the lease of a dead worker
// expires, which nothing announces: a worker waiting for a slot looks again by then, not only
// after blockMs.
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../src/queue/index.js';
import { QueueStore } from '../../src/queue/store.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

describe(`Expired leases on ${target} via ${driver}`, () => {
  it('a worker waiting for a full queue-wide limit takes the slot of an expired lease long before blockMs', async () => {
    const { queue } = await freshQueue<number>({ globalConcurrency: 1 });
    await queue.ensureGroup();
    await queue.add('x', 1);
    await queue.add('x', 2);
    // A worker that takes job 1 with a 1.5 s lease and dies: nothing frees its slot but time.
    const ghost = new QueueStore(
      queue.connection,
      queue.name,
      queue.keys,
      {
        group: queue.group,
        maxLen: 0,
        priorities: false,
        globalConcurrency: 1,
        eventsMaxLen: 0,
        keepCount: 0,
        keepAgeMs: 0,
        deadMaxLen: 0,
      },
      undefined,
    );
    expect((await ghost.fetch('ghost', 1, 1500)).entries).toHaveLength(1);
    const seen: number[] = [];
    closing(
      await queue.process((job) => void seen.push(job.data), { blockMs: 60_000, visibilityTimeoutMs: 600_000, promoteIntervalMs: 60_000 }),
    );
    await waitFor(() => seen.length === 1, 20_000, 'job 2 in the freed slot');
    expect(seen).toEqual([2]);
  });
});

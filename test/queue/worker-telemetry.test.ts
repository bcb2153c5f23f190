// What a worker publishes on the queue's tracing channel: each job's `process` operation and
// its `updateProgress` calls carry the queue's name, for an exporter to label them with.
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

describe(`Worker telemetry on ${target} via ${driver}`, () => {
  it('process and updateProgress operations carry the queue name', async () => {
    const { queue } = await freshQueue<string>({ name: 'refills' });
    const operations = await tracedOperations('queue', async () => {
      const worker = closeAfterTest(
        await queue.process(async (job) => {
          await job.updateProgress(50);
          return job.data;
        }),
      );
      let completed = 0;
      worker.on('completed', () => completed++);
      await queue.add('refill', 'rx-1');
      await waitFor(() => completed === 1, 5000, 'the job');
    });
    const ofWorker = operations.filter((o) => o.operation === 'process' || o.operation === 'updateProgress');
    expect(ofWorker.map((o) => o.operation).sort()).toEqual(['process', 'updateProgress']);
    for (const o of ofWorker) expect(o.attributes).toEqual({ queue: 'refills' });
    expect(ofWorker.find((o) => o.operation === 'process')?.outcome).toBe('completed');
  });
});

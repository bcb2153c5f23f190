// The queue's backlog as a telemetry subscriber reads it: one gauge source per queue, owned by
// the queue module and named by the queue, with a count per state.
import { describe, expect, it } from 'vitest';
import { liveGaugeSources } from '../../src/core/telemetry.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, stalledJob, waitFor } from './helpers.js';

describe(`StreamQueue backlog gauges on ${target} via ${driver}`, () => {
  it('the queue module publishes waiting, delayed, active and dead jobs under the queue name', async () => {
    const { connection, queue } = await freshQueue<string>({ name: 'gauged-backlog' });
    const worker = await queue.process(() => {
      throw new Error('no such pharmacy');
    });
    closeAfterTest(worker, () => worker.close(1000));
    let dead = 0;
    worker.on('deadLettered', () => dead++);
    await queue.add('refill', 'rx-1', { attempts: 1 });
    await waitFor(() => dead === 1, 5000, 'a dead letter');
    await worker.close(1000);
    await stalledJob(connection, queue, 'rx-2');
    await queue.add('refill', 'rx-3');
    await queue.add('refill', 'rx-4', { delayMs: 60_000 });
    const sources = liveGaugeSources().filter((s) => s.module === 'queue' && s.attributes.queue === 'gauged-backlog');
    expect(sources).toHaveLength(1);
    expect(await sources[0]?.read()).toEqual({ 'queue.waiting': 1, 'queue.delayed': 1, 'queue.active': 1, 'queue.dead': 1 });
  });
});

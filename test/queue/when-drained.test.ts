// whenDrained counts every job not done: waiting, delayed and running (fetched, not yet
// acknowledged) alike; while any is left it rejects after timeoutMs, naming the queue.
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';
import { freshQueue, stalledJob } from './helpers.js';

describe(`whenDrained on ${target} via ${driver}`, () => {
  it('a job waiting and one delayed: not drained', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    await queue.add('x', 1);
    await queue.add('x', 2, { delayMs: 60_000 });
    expect(await queue.counts()).toMatchObject({ waiting: 1, pending: 0, delayed: 1 });
    await expect(queue.whenDrained(200)).rejects.toThrow('queue jobs not drained within 200 ms');
  });

  it('a job running and one waiting: not drained', async () => {
    const { connection, queue } = await freshQueue<number>({ events: true });
    await stalledJob(connection, queue, 1);
    await queue.add('x', 2);
    expect(await queue.counts()).toMatchObject({ waiting: 1, pending: 1, delayed: 0 });
    await expect(queue.whenDrained(200)).rejects.toThrow('queue jobs not drained within 200 ms');
  });

  it('only a delayed job, or only a running one: not drained', async () => {
    const { queue: delayed } = await freshQueue<number>({ events: true });
    await delayed.add('x', 1, { delayMs: 60_000 });
    await expect(delayed.whenDrained(200)).rejects.toThrow(/not drained within 200 ms/);
    const { connection, queue: running } = await freshQueue<number>({ events: true });
    await stalledJob(connection, running, 1);
    expect(await running.counts()).toMatchObject({ waiting: 0, pending: 1, delayed: 0 });
    await expect(running.whenDrained(200)).rejects.toThrow(/not drained within 200 ms/);
  });
});

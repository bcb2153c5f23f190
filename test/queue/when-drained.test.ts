// whenDrained counts every job not done: waiting, delayed and running (fetched, not yet
// acknowledged) alike; while any is left it rejects after timeoutMs, naming the queue. Its
// listener's connection is closed either way.
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';
import { clientCount, closeAfterTest, freshQueue, stalledJob, waitFor } from './helpers.js';

// What whenDrained(ms) rejects with (`rejects.toThrow` would also pass on a rejection with no Error).
async function rejection(waiting: Promise<void>): Promise<unknown> {
  return waiting.then(
    () => 'drained',
    (e: unknown) => e,
  );
}

async function expectNotDrained(waiting: Promise<void>, message: string | RegExp): Promise<void> {
  const error = await rejection(waiting);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(message);
}

describe(`whenDrained on ${target} via ${driver}`, () => {
  it('a job waiting and one delayed: not drained', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    await queue.add('x', 1);
    await queue.add('x', 2, { delayMs: 60_000 });
    expect(await queue.counts()).toMatchObject({ waiting: 1, pending: 0, delayed: 1 });
    await expectNotDrained(queue.whenDrained(200), 'queue jobs not drained within 200 ms');
  });

  it('a job running and one waiting: not drained', async () => {
    const { connection, queue } = await freshQueue<number>({ events: true });
    await stalledJob(connection, queue, 1);
    await queue.add('x', 2);
    expect(await queue.counts()).toMatchObject({ waiting: 1, pending: 1, delayed: 0 });
    await expectNotDrained(queue.whenDrained(200), 'queue jobs not drained within 200 ms');
  });

  it('only a delayed job, or only a running one: not drained', async () => {
    const { queue: delayed } = await freshQueue<number>({ events: true });
    await delayed.add('x', 1, { delayMs: 60_000 });
    await expectNotDrained(delayed.whenDrained(200), /not drained within 200 ms/);
    const { connection, queue: running } = await freshQueue<number>({ events: true });
    await stalledJob(connection, running, 1);
    expect(await running.counts()).toMatchObject({ waiting: 0, pending: 1, delayed: 0 });
    await expectNotDrained(running.whenDrained(200), /not drained within 200 ms/);
  });

  it('leaves no connection open, whether it timed out or saw the drain', async () => {
    const { connection, queue } = await freshQueue<number>({ events: true });
    await queue.add('x', 1);
    const before = await clientCount(connection);
    await expectNotDrained(queue.whenDrained(200), /not drained within 200 ms/);
    await waitFor(async () => (await clientCount(connection)) === before, 5000, 'the listener closed after the timeout');
    const drained = queue.whenDrained(10_000);
    const worker = await queue.process(() => undefined);
    closeAfterTest(worker, () => worker.close(1000));
    await drained;
    await worker.close(1000);
    await waitFor(async () => (await clientCount(connection)) === before, 5000, 'the listener closed after the drain');
  });
});

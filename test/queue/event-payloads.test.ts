// What a QueueEvents listener hands its listeners: every event's payload, field by field (the
// job's id and name, the worker's consumer name, progress and return values decoded, the error,
// tries used, the backoff), and each event's id, its entry in the events stream.
import { describe, expect, it } from 'vitest';
import type { QueueEvents, Worker } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(1000));
}

// Records every event a listener emits, in order, as [name, payload].
function record(listener: QueueEvents<unknown>): [string, Record<string, unknown>][] {
  const log: [string, Record<string, unknown>][] = [];
  for (const name of [
    'added',
    'active',
    'progress',
    'completed',
    'failed',
    'retrying',
    'deadLettered',
    'drained',
    'paused',
    'resumed',
  ] as const) {
    listener.on(name, (event: object) => log.push([name, { ...event }]));
  }
  return log;
}

describe(`Queue event payloads on ${target} via ${driver}`, () => {
  it('a job that completes: added with its name, active with the consumer, progress and the return value decoded, then drained', async () => {
    const { connection, queue } = await freshQueue<{ n: number }>({ events: true });
    const listener = closeAfterTest(queue.events());
    const log = record(listener);
    await listener.start();
    closing(
      await queue.process(
        async (job) => {
          await job.updateProgress({ step: 1, of: 2 });
          return { total: job.data.n * 3 };
        },
        { consumer: 'payroll-7' },
      ),
    );
    const { id } = await queue.add('sum', { n: 14 });
    await waitFor(() => log.length === 5, 10_000, 'five events');
    const ids = (await connection.send(['XRANGE', queue.keys.events, '-', '+'], queue.keys.events)) as [string, unknown][];
    expect(ids).toHaveLength(5);
    expect(log).toEqual([
      ['added', { jobId: id, name: 'sum', id: ids[0]?.[0] }],
      ['active', { jobId: id, consumer: 'payroll-7', id: ids[1]?.[0] }],
      ['progress', { jobId: id, progress: { step: 1, of: 2 }, id: ids[2]?.[0] }],
      ['completed', { jobId: id, returnValue: { total: 42 }, id: ids[3]?.[0] }],
      ['drained', { id: ids[4]?.[0] }],
    ]);
  });

  it('a handler that returns nothing completes with returnValue undefined', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    const listener = closeAfterTest(queue.events());
    const completed: unknown[] = [];
    listener.on('completed', (e) => completed.push(e));
    await listener.start();
    closing(await queue.process(() => undefined));
    const { id } = await queue.add('x', 1);
    await waitFor(() => completed.length === 1, 10_000, 'the completed event');
    expect(completed[0]).toEqual({ jobId: id, returnValue: undefined, id: expect.any(String) });
    expect(completed[0]).toHaveProperty('returnValue', undefined);
  });

  it('a job that fails twice: failed with the message and tries used, retrying with its backoff, deadLettered with the last message', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    const listener = closeAfterTest(queue.events());
    const log = record(listener);
    await listener.start();
    let tries = 0;
    closing(
      await queue.process(
        () => {
          tries++;
          throw new Error(`scanner ${tries} jammed`);
        },
        { backoff: { baseMs: 40, jitter: 0 }, promoteIntervalMs: 20, consumer: 'scanner' },
      ),
    );
    const { id } = await queue.add('scan', 1, { attempts: 2 });
    await waitFor(() => log.some(([name]) => name === 'deadLettered'), 10_000, 'the dead letter');
    const jobEvents = log.filter(([name]) => name !== 'drained').map(([name, { id: _, ...payload }]) => [name, payload]);
    expect(jobEvents).toEqual([
      ['added', { jobId: id, name: 'scan' }],
      ['active', { jobId: id, consumer: 'scanner' }],
      ['failed', { jobId: id, error: 'scanner 1 jammed', attemptsMade: 1 }],
      ['retrying', { jobId: id, delayMs: 40 }],
      ['active', { jobId: id, consumer: 'scanner' }],
      ['failed', { jobId: id, error: 'scanner 2 jammed', attemptsMade: 2 }],
      ['deadLettered', { jobId: id, error: 'scanner 2 jammed' }],
    ]);
  });

  it('paused and resumed carry their stream ids, in order', async () => {
    const { connection, queue } = await freshQueue<number>({ events: true });
    const listener = closeAfterTest(queue.events());
    const log = record(listener);
    await listener.start();
    await queue.pause();
    await queue.resume();
    await waitFor(() => log.length === 2, 5000, 'two events');
    const entries = (await connection.send(['XRANGE', queue.keys.events, '-', '+'], queue.keys.events)) as [string, unknown][];
    expect(log).toEqual([
      ['paused', { id: entries[0]?.[0] }],
      ['resumed', { id: entries[1]?.[0] }],
    ]);
  });
});

// Queue events across processes: a listener in another process sees one job's events in order,
// with its progress and return value; failures, retries and dead letters; whenDrained.
import { describe, expect, it } from 'vitest';
import { StreamQueue, type Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';
import { childKeys, startChild } from './processes.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

describe(`Queue events on ${target} via ${driver}`, () => {
  it('a listener in another process sees one job added, active, its progress, completed with its value, then drained, in order', async () => {
    const { connection, queue } = await freshQueue<number>({ events: true });
    const { events } = childKeys(connection);
    await startChild(connection, { role: 'listener', queue: queue.name, queueOptions: { events: true } });
    closing(
      await queue.process(async (job) => {
        await job.updateProgress(50);
        await job.updateProgress(100);
        return { total: job.data * 3 };
      }),
    );
    const { id } = await queue.add('sum', 14);
    await waitFor(async () => Number(await connection.send(['LLEN', events], events)) >= 6, 10_000, 'six events');
    const seen = (await connection.send(['LRANGE', events, 0, -1], events)) as string[];
    expect(seen).toEqual([
      `added:${id}`,
      `active:${id}`,
      `progress:${id}:50`,
      `progress:${id}:100`,
      `completed:${id}:{"total":42}`,
      'drained',
    ]);
  });

  it('publishes failed, retrying and deadLettered; a listener resumes after an event id', async () => {
    const { queue } = await freshQueue<number>({ events: { maxLen: 1000 } });
    const listener = queue.events();
    closeAfterTest(listener);
    const log: string[] = [];
    listener.on('failed', (e) => log.push(`failed:${e.attemptsMade}:${e.error}`));
    listener.on('retrying', () => log.push('retrying'));
    listener.on('deadLettered', (e) => log.push(`dead:${e.error}`));
    await listener.start();
    closing(
      await queue.process(
        () => {
          throw new Error('pharmacy offline');
        },
        { backoff: { baseMs: 10, jitter: 0 }, promoteIntervalMs: 20 },
      ),
    );
    await queue.add('refill', 1, { attempts: 2 });
    await waitFor(() => log.length === 4, 10_000, 'four events');
    expect(log).toEqual(['failed:1:pharmacy offline', 'retrying', 'failed:2:pharmacy offline', 'dead:pharmacy offline']);
    // A second listener started after the first event's id reads what came after it.
    const ids: string[] = [];
    const second = queue.events();
    closeAfterTest(second);
    second.on('failed', (e) => ids.push(e.id));
    second.on('retrying', (e) => ids.push(e.id));
    second.on('deadLettered', (e) => ids.push(e.id));
    await second.start('0-0');
    await waitFor(() => ids.length === 4, 5000, 'replayed events');
  });

  it('whenDrained resolves once nothing waits, is delayed or runs', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    await queue.whenDrained(1000);
    closing(await queue.process(() => new Promise((r) => setTimeout(r, 20)), { concurrency: 4 }));
    await queue.addBulk(Array.from({ length: 40 }, (_, i) => ({ name: 'x', data: i })));
    await queue.add('late', 99, { delayMs: 300 });
    await queue.whenDrained(10_000);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('whenDrained waits for jobs added after an earlier drain: a past drained event does not count', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    const first = closing(await queue.process(() => undefined));
    let completed = 0;
    first.on('completed', () => completed++);
    await queue.add('x', 1);
    await waitFor(() => completed === 1, 5000, 'the first job');
    await queue.whenDrained(5000);
    await first.close(1000);
    // Nothing runs it: not drained, though the events stream already holds a drained event.
    await queue.add('x', 2);
    await expect(queue.whenDrained(300)).rejects.toThrow(/not drained within 300 ms/);
    closing(await queue.process(() => undefined));
    await queue.whenDrained(5000);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('publishes paused and resumed once per change of state', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    const listener = queue.events();
    closeAfterTest(listener);
    const log: string[] = [];
    listener.on('paused', () => log.push('paused'));
    listener.on('resumed', () => log.push('resumed'));
    listener.on('added', () => log.push('added'));
    await listener.start();
    expect(await queue.pause()).toBe(true);
    expect(await queue.pause()).toBe(false);
    expect(await queue.resume()).toBe(true);
    // An added event after each step, to know that nothing else came before it.
    await queue.add('x', 1);
    expect(await queue.resume()).toBe(false);
    await queue.add('x', 2);
    await waitFor(() => log.filter((e) => e === 'added').length === 2, 5000, 'two added events');
    expect(log).toEqual(['paused', 'resumed', 'added', 'added']);
  });

  it('events cost one XADD each, only when on; the stream is capped', async () => {
    const { connection, queue } = await freshQueue<number>({ events: { maxLen: 100 } });
    const { byCommand } = await countCommands(connection, () => queue.add('x', 1));
    expect(byCommand).toEqual({ evalsha: 1, xadd: 2 });
    await queue.addBulk(Array.from({ length: 2000 }, (_, i) => ({ name: 'x', data: i })));
    const length = Number(await connection.send(['XLEN', queue.keys.events], queue.keys.events));
    expect(length).toBeLessThan(400);
    expect(length).toBeGreaterThanOrEqual(100);
    const off = new StreamQueue<number>({ connection, name: 'off' });
    const plain = await countCommands(connection, () => off.add('x', 1));
    expect(plain.byCommand).toEqual({ xadd: 1 });
  });

  it('whenDrained needs events; bad event options are ValidationErrors', async () => {
    const { connection, queue } = await freshQueue();
    await expectInvalid(() => queue.whenDrained(), 'events');
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', events: { maxLen: 0 } }), 'events.maxLen');
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', events: { maxLen: 1_000_001 } }), 'events.maxLen');
    expect(() => new StreamQueue({ connection, name: 'q', events: { maxLen: 1_000_000 } })).not.toThrow();
  });
});

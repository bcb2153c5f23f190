// A QueueEvents listener's life: start() reads from now on (or after an id), a second start()
// is a no-op, close() ends the blocking read at once (also when the queue's connection is
// closed already, or before start()), and a read idle past its block time is no error.
import { describe, expect, it } from 'vitest';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

describe(`QueueEvents listener on ${target} via ${driver}`, () => {
  it('start() reads only what is published after it', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    await queue.add('before', 1);
    const listener = closeAfterTest(queue.events());
    const log: string[] = [];
    listener.on('added', (e) => log.push(`added:${e.name}`));
    listener.on('paused', () => log.push('paused'));
    await listener.start();
    await queue.add('after', 2);
    await queue.pause();
    await waitFor(() => log.includes('paused'), 5000, 'the paused event');
    expect(log).toEqual(['added:after', 'paused']);
  });

  it('a second start() sends nothing and reads nothing twice', async () => {
    const { connection, queue } = await freshQueue<number>({ events: true });
    const listener = closeAfterTest(queue.events());
    const log: string[] = [];
    listener.on('added', (e) => log.push(`added:${e.name}`));
    listener.on('paused', () => log.push('paused'));
    await listener.start();
    const again = await countCommands(connection, () => listener.start());
    expect(again.byCommand).toEqual({});
    await queue.add('once', 1);
    await queue.pause();
    await waitFor(() => log.includes('paused'), 5000, 'the paused event');
    // Anything read twice would be in by now: events arrive in stream order.
    await new Promise((r) => setTimeout(r, 100));
    expect(log).toEqual(['added:once', 'paused']);
  });

  it('close() ends the blocked read at once, with one unblock, and nothing is read after it', async () => {
    const { connection, queue } = await freshQueue<number>({ events: true });
    const listener = queue.events();
    const log: string[] = [];
    listener.on('added', (e) => log.push(`added:${e.name}`));
    await listener.start();
    await queue.add('read', 1);
    await waitFor(() => log.length === 1, 5000, 'the added event');
    // The next read is blocked by now (its block time is 5 s).
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const { byCommand } = await countCommands(connection, () => listener.close());
    expect(Date.now() - started).toBeLessThan(2000);
    expect(byCommand['client|unblock']).toBeGreaterThanOrEqual(1);
    expect(byCommand['client|unblock']).toBeLessThanOrEqual(3);
    await queue.add('unread', 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(log).toEqual(['added:read']);
  });

  it('close() ends the read at once when the queue connection is closed already, with no error, also called twice', async () => {
    const connection = await testConnection();
    const { queue } = await freshQueue<number>({ connection, events: true });
    const listener = queue.events();
    const errors: Error[] = [];
    listener.on('error', (e) => errors.push(e));
    await listener.start();
    // The read is blocked by now (its block time is 5 s).
    await new Promise((r) => setTimeout(r, 200));
    await connection.client.close();
    const started = Date.now();
    await Promise.all([listener.close(), listener.close()]);
    // A node-redis cluster client's destroy() leaves its blocked read to run out its 5 s.
    if (!(target === 'cluster' && driver === 'node-redis')) expect(Date.now() - started).toBeLessThan(2000);
    // A failed read after close() is no error to report.
    await new Promise((r) => setTimeout(r, 300));
    expect(errors).toEqual([]);
  });

  it('close() before start() resolves and sends nothing', async () => {
    const { connection, queue } = await freshQueue<number>({ events: true });
    const { byCommand } = await countCommands(connection, () => queue.events().close());
    expect(byCommand).toEqual({});
  });

  it('a read idle past its 5 s block time is no error, with or without a command timeout', async () => {
    const timed = await freshQueue<number>({ events: true });
    const untimed = await freshQueue<number>({ connection: await testConnection({ commandTimeoutMs: 0 }), events: true });
    const errors: Error[] = [];
    const added: string[] = [];
    for (const { queue } of [timed, untimed]) {
      const listener = closeAfterTest(queue.events());
      listener.on('error', (e) => errors.push(e));
      listener.on('added', (e) => added.push(e.name));
      await listener.start();
    }
    await new Promise((r) => setTimeout(r, 5600));
    await timed.queue.add('late', 1);
    await untimed.queue.add('late', 1);
    await waitFor(() => added.length === 2, 5000, 'both added events');
    expect(errors).toEqual([]);
  }, 20_000);
});

// A QueueEvents listener goes on through trouble: a read Redis refuses (ACL) is an `error` event
// (only when listened to) and the listener reads on from where it was, so what was published
// meanwhile still arrives; a listener that throws is an `error` event, not the end of reading;
// a hung server is a CommandTimeoutError after the block time plus the command timeout.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisCommandError } from '../../src/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { privateConnection } from '../harness/private-server.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, queueOfRefusableUser, waitFor } from './helpers.js';

describe(`QueueEvents listener in trouble on ${target} via ${driver}`, () => {
  it('a refused read is an error event; what was published meanwhile arrives once reads are allowed', async () => {
    const server = await startRedis();
    try {
      const { admin, connection } = await queueOfRefusableUser(server, 'refused');
      const queue = new StreamQueue<number>({ connection, name: 'refused', events: true });
      await queue.add('before', 0);
      await admin.send(['ACL', 'SETUSER', 'acker', '-xread']);
      const listener = closeAfterTest(queue.events());
      const errors: Error[] = [];
      const added: string[] = [];
      listener.on('error', (e) => errors.push(e));
      listener.on('added', (e) => added.push(e.name));
      await listener.start();
      await waitFor(() => errors.length > 0, 5000, 'an error event');
      expect(errors[0]).toBeInstanceOf(RedisCommandError);
      expect(errors[0]?.message).toMatch(/^NOPERM/);
      await queue.add('meanwhile', 1);
      await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
      await waitFor(() => added.length > 0, 10_000, 'the added event');
      expect(added).toEqual(['meanwhile']);
      await listener.close();
    } finally {
      await server.stop();
    }
  });

  it('with no error listener, a refused read is retried quietly and reading goes on', async () => {
    const server = await startRedis();
    try {
      const { admin, connection } = await queueOfRefusableUser(server, 'quiet');
      const queue = new StreamQueue<number>({ connection, name: 'quiet', events: true });
      await admin.send(['ACL', 'SETUSER', 'acker', '-xread']);
      const listener = closeAfterTest(queue.events());
      const added: string[] = [];
      listener.on('added', (e) => added.push(e.name));
      await listener.start();
      // The refusal is in the ACL log once the first read was refused.
      await waitFor(async () => String(await admin.send(['ACL', 'LOG'])).includes('xread'), 5000, 'a refused read');
      await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
      await queue.add('after', 1);
      await waitFor(() => added.length > 0, 10_000, 'the added event');
      expect(added).toEqual(['after']);
      await listener.close();
    } finally {
      await server.stop();
    }
  });

  it('a listener that throws is an error event with what it threw (an Error for anything else), and reading goes on', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    const listener = closeAfterTest(queue.events());
    const errors: Error[] = [];
    const added: string[] = [];
    const thrown = new Error('renderer crashed');
    listener.on('error', (e) => errors.push(e));
    listener.on('added', (e) => {
      added.push(e.name);
      if (e.name === 'error') throw thrown;
      if (e.name === 'string') throw 'renderer gave up';
    });
    await listener.start();
    await queue.add('error', 1);
    await queue.add('string', 2);
    await queue.add('fine', 3);
    await waitFor(() => added.length === 3, 5000, 'three added events');
    expect(added).toEqual(['error', 'string', 'fine']);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe(thrown);
    expect(errors[1]).toBeInstanceOf(Error);
    expect(errors[1]?.message).toBe('renderer gave up');
  });

  it('with no error listener, a listener that throws does not stop the reading', async () => {
    const { queue } = await freshQueue<number>({ events: true });
    const listener = closeAfterTest(queue.events());
    const added: string[] = [];
    listener.on('added', (e) => {
      added.push(e.name);
      if (e.name === 'bad') throw new Error('renderer crashed');
    });
    await listener.start();
    await queue.add('bad', 1);
    await queue.add('good', 2);
    await waitFor(() => added.length === 2, 5000, 'two added events');
    expect(added).toEqual(['bad', 'good']);
    await listener.close();
  });

  it('a hung server is a CommandTimeoutError once the block time and the command timeout have passed', async () => {
    const server = await startRedis();
    try {
      const side = await privateConnection(server, { commandTimeoutMs: 300 });
      closeAfterAll({ close: async () => side.close() });
      const queue = new StreamQueue<number>({ connection: side.connection, name: 'hung', events: true });
      const listener = queue.events();
      const errors: Error[] = [];
      listener.on('error', (e) => errors.push(e));
      await listener.start();
      server.pause();
      try {
        await waitFor(() => errors.length > 0, 9000, 'an error event');
      } finally {
        server.resume();
      }
      expect(errors[0]).toBeInstanceOf(CommandTimeoutError);
      await listener.close();
    } finally {
      await server.stop();
    }
  }, 20_000);
});

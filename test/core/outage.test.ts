import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, RedisConnection, RedisPatternsError, RedisUnavailableError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';

const incr = defineScript<[]>('test/incr', "return redis.call('INCR', KEYS[1])", { keys: 1 });

describe(`Redis outage via ${driver}`, () => {
  const startServer = privateServers();

  it('a frozen server gives CommandTimeoutError within the timeout, then recovers', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 300 });
    try {
      expect(await connection.run(incr, ['k'], [])).toBe(1);
      server.pause();
      const started = Date.now();
      const err = await connection.run(incr, ['k'], []).catch((e) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(CommandTimeoutError);
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(1000);
      server.resume();
      // The timed-out INCR may still have run after the resume; either way the connection works again.
      const next = Number(await connection.run(incr, ['k'], []));
      expect(next === 2 || next === 3).toBe(true);
    } finally {
      server.resume();
      close();
    }
  });

  it('a stopped server gives a typed error within the timeout, and the connection recovers on restart', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 400 });
    try {
      await connection.send(['SET', 'a', '1']);
      await server.stop();
      const started = Date.now();
      const err = (await connection.send(['GET', 'a']).catch((e: Error) => e)) as Error;
      expect(Date.now() - started).toBeLessThan(1200);
      expect(err).toBeInstanceOf(RedisPatternsError);
      expect(err instanceof CommandTimeoutError || err instanceof RedisUnavailableError, `${err?.name}: ${err?.message}`).toBe(true);
      await startServer({ port: server.port });
      const deadline = Date.now() + 5000;
      let value: unknown;
      while (Date.now() < deadline) {
        value = await connection.run(incr, ['fresh'], []).catch(() => undefined);
        if (value !== undefined) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // A restarted server has an empty script cache: the runner reloaded the script itself.
      expect(value).toBe(1);
    } finally {
      close();
    }
  });

  it('closing while the server is down never hangs: subscriber and owned client', async () => {
    const server = await startServer();
    const owned = await RedisConnection.connect(server.url, { commandTimeoutMs: 300 });
    const sub = await owned.subscriber();
    await sub.subscribe('ch', () => {});
    await server.stop();
    const started = Date.now();
    await sub.unsubscribe('ch');
    await owned.close();
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

// What a monitoring tool sees of the eviction check without holding the connection: the
// report on the diagnostics channel named in the docs, once per new finding, and a check that
// times out naming the command Redis did not answer.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandTimeoutError, type EvictionReport } from '../../src/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';

const CHANNEL = 'redis-patterns:eviction-risk';

// A private standalone server on the project's driver: one topology runs it.
describe.runIf(target === 'standalone')(`the eviction check seen from outside via ${driver}`, () => {
  const startServer = privateServers();
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  it(`publishes each new risky finding on ${CHANNEL}, not the same one again`, async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { evictionCheck: 'off' });
    closers.push(close);
    const published: EvictionReport[] = [];
    const listener = (message: unknown) => published.push(message as EvictionReport);
    subscribe(CHANNEL, listener);
    try {
      await connection.send(['CONFIG', 'SET', 'maxmemory', '64mb', 'maxmemory-policy', 'allkeys-lru']);
      const first = await connection.checkEviction();
      expect(first.evicting).toBe(true);
      await connection.checkEviction();
      expect(published).toEqual([first]);
      await connection.send(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
      expect((await connection.checkEviction()).evicting).toBe(false);
      await connection.send(['CONFIG', 'SET', 'maxmemory-policy', 'volatile-ttl']);
      const again = await connection.checkEviction();
      expect(published).toEqual([first, again]);
      expect(again.nodes).toEqual([{ node: `port ${server.port}`, policy: 'volatile-ttl', maxmemory: 64 * 1024 * 1024 }]);
    } finally {
      unsubscribe(CHANNEL, listener);
    }
  });

  it('rejects with the command timeout naming INFO memory when the server does not answer', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 200, evictionCheck: 'off' });
    closers.push(close);
    server.pause();
    try {
      const error = await connection.checkEviction().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CommandTimeoutError);
      expect((error as Error).message).toBe('Redis did not answer INFO memory within 200 ms');
    } finally {
      server.resume();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import { CacheLayout } from '../../src/cache/layout.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { defaultLayout, settlesWithin, sleep } from './helpers.js';

describe(`Cache remote tier on ${target} via ${driver}`, () => {
  const startServer = privateServers();
  it('an error reply from a reachable Redis does not start the offline back-off', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, offlineBackoffMs: 60_000 });
    await cache.set('good', 'cached');
    // Not a string: GET answers WRONGTYPE, an error of the data, not of the server's availability.
    const { entry } = defaultLayout(connection).of('bad');
    await connection.send(['HSET', entry, 'f', 'v'], entry);
    expect(await cache.wrap('bad', async () => 'loaded')).toBe('loaded');
    await cache.settled();
    const { result, byCommand } = await countCommands(connection, () => cache.wrap('good', async () => 'loaded'));
    expect(result).toBe('cached');
    expect(byCommand).toEqual({ get: 1 });
  });

  it("a loader slower than timeoutMs does not use up the call's time for Redis: the store still releases the guard", async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 300, lockTtlMs: 60_000 });
    const slow = async () => {
      await sleep(900);
      return 'loaded';
    };
    expect(await cache.wrap('slow', slow)).toBe('loaded');
    await cache.settled();
    const reader = new Cache({ connection, ttlMs: 60_000 });
    expect(await reader.get('slow')).toBe('loaded');
    const { guard } = defaultLayout(connection).of('slow');
    expect(await connection.send(['EXISTS', guard], guard)).toBe(0);
  });

  it('one call reports one failure, however many of its commands failed', async () => {
    const connection = await testConnection();
    const buckets = 4;
    const cache = new Cache({ connection, ttlMs: 60_000, buckets });
    const failures: CacheEvents['redisError'][0][] = [];
    cache.on('redisError', (e) => failures.push(e));
    // Every bucket's tag index is a string: each bucket's ZRANGE of the sweep fails.
    const layout = new CacheLayout(connection.keys('cache'), buckets);
    for (const bucket of layout.buckets) {
      const index = layout.tagIndex(bucket, 'broken');
      await connection.send(['SET', index, 'not a sorted set'], index);
    }
    await expect(cache.invalidateTag('broken')).rejects.toThrow();
    expect(failures.map((f) => f.operation)).toEqual(['invalidateTag']);
    expect(cache.stats().errors).toBe(1);
  });

  it.runIf(target === 'standalone')('settled() waits for background writes only, not for a call in flight', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 5000, offlineBackoffMs: 0 });
    try {
      await cache.set('k', 'v');
      server.pause();
      const read = cache.get('k');
      expect(await settlesWithin(cache.settled(), 2000)).toBe(true);
      server.resume();
      expect(await read).toBe('v');
    } finally {
      server.resume();
      close();
    }
  });
});

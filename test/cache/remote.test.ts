import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { CacheLayout } from '../../src/cache/layout.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { sleep } from './helpers.js';

describe(`Cache remote tier on ${target} via ${driver}`, () => {
  it('an error reply from a reachable Redis does not start the offline back-off', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, offlineBackoffMs: 60_000 });
    await cache.set('good', 'cached');
    // Not a string: GET answers WRONGTYPE, an error of the data, not of the server's availability.
    const { entry } = new CacheLayout(connection.keys('cache'), connection.client.isCluster ? 64 : 1).of('bad');
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
    const { guard } = new CacheLayout(connection.keys('cache'), connection.client.isCluster ? 64 : 1).of('slow');
    expect(await connection.send(['EXISTS', guard], guard)).toBe(0);
  });
});

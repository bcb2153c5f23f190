// During the offline back-off (after Redis did not answer in time), reads and writes skip Redis:
// they neither wait for it nor report another failure.
import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';
import { privateServersOfSuite } from './helpers.js';

/** The redisError events `cache` emits from now on. */
function failures(cache: Cache): CacheEvents['redisError'][0][] {
  const events: CacheEvents['redisError'][0][] = [];
  cache.on('redisError', (e) => events.push(e));
  return events;
}

describe(`Cache offline back-off via ${driver}`, () => {
  const { startServer } = privateServersOfSuite();

  it('after one timeout, get, mget, set, mset and wrap skip Redis at once until the back-off ends', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 200, offlineBackoffMs: 60_000 });
    const events = failures(cache);
    try {
      await cache.set('k', 'v');
      server.pause();
      expect(await cache.get('k')).toBeUndefined(); // waits timeoutMs, then starts the back-off
      expect(events.map((e) => e.operation)).toEqual(['get']);
      const started = performance.now();
      expect(await cache.mget(['k', 'j'])).toEqual([undefined, undefined]);
      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.set('k', 'w')).toBe(false);
      expect(await cache.mset([{ key: 'k', value: 'w' }])).toBe(false);
      expect(await cache.wrap('k', async () => 'loaded')).toBe('loaded');
      expect(performance.now() - started).toBeLessThan(150);
      await cache.settled(); // the wrap's value is not stored in the background either
      expect(events.map((e) => e.operation)).toEqual(['get']);
      // Another cache on the same connection has its own back-off: its mget waits, and reports.
      const other = new Cache({ connection, ttlMs: 60_000, timeoutMs: 200 });
      const theirs = await failures(other);
      expect(await other.mget(['k', 'j'])).toEqual([undefined, undefined]);
      expect(theirs.map((e) => e.operation)).toEqual(['mget']);
    } finally {
      server.resume();
      await cache.close();
      close();
    }
  });
});

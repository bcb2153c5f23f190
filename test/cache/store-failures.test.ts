// The store after a load, refused by Redis (out of memory): the caller still has its value, and
// the failure is reported as the `store` of that key, whichever command carried it.
import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents, type CacheOptions, type WrapOptions } from '../../src/cache/index.js';
import { RedisPatternsError } from '../../src/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';
import { privateServersOfSuite } from './helpers.js';

describe(`Cache stores Redis refuses via ${driver}`, () => {
  const { startServer, unhandled } = privateServersOfSuite();

  // Each store path: the entry with the guard's release (a pipeline on node-redis, a script on
  // ioredis), a tagged entry (a script), and an entry without a guard to release (one SET).
  const cases: [string, Partial<CacheOptions>, WrapOptions | undefined][] = [
    ['untagged, releasing the guard', {}, undefined],
    ['tagged', {}, { tags: ['ward:3'] }],
    ['without the distributed guard', { distributedLock: false }, undefined],
  ];
  it.each(cases)(
    '%s: the wrap resolves its value, redisError says store and the key, nothing is cached',
    async (_, options, wrapOptions) => {
      const server = await startServer();
      const { connection, close } = await privateConnection(server);
      const cache = new Cache({ connection, ttlMs: 60_000, ...options });
      const events: CacheEvents['redisError'][0][] = [];
      cache.on('redisError', (e) => events.push(e));
      try {
        const value = await cache.wrap(
          'k',
          async () => {
            // Every write that needs memory is refused from now on.
            await connection.send(['CONFIG', 'SET', 'maxmemory', '1']);
            return 'loaded';
          },
          wrapOptions,
        );
        expect(value).toBe('loaded');
        await cache.settled();
        expect(events.map((e) => [e.operation, e.key, e.error instanceof RedisPatternsError])).toEqual([['store', 'k', true]]);
        await connection.send(['CONFIG', 'SET', 'maxmemory', '0']);
        expect(await cache.get('k')).toBeUndefined();
        expect(unhandled).toEqual([]);
      } finally {
        await cache.close();
        close();
      }
    },
  );
});

// A write through an instance with L1 drops that instance's own copy first: a write Redis
// skipped (unreachable) leaves no stale copy behind in L1 either.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';
import { privateServersOfSuite } from './helpers.js';

describe(`Cache L1 across skipped writes via ${driver}`, () => {
  const { startServer } = privateServersOfSuite();

  // Frozen, not stopped: the pub/sub connection stays up (a lost one would empty L1 by itself).
  it('set and mset skipped while Redis does not answer still drop the L1 copies of their keys', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 200, offlineBackoffMs: 60_000, l1: {} });
    try {
      await cache.ready();
      await cache.set('a', 'old');
      await cache.mset([{ key: 'b', value: 'old' }]);
      expect(await cache.mget(['a', 'b'])).toEqual(['old', 'old']); // from L1
      server.pause();
      // The first times out and starts the offline back-off; the second is skipped at once.
      expect(await cache.set('a', 'new')).toBe(false);
      expect(await cache.mset([{ key: 'b', value: 'new' }])).toBe(false);
      // Neither the old value (L1) nor the new one (never written): reads skip Redis meanwhile.
      expect(await cache.mget(['a', 'b'])).toEqual([undefined, undefined]);
    } finally {
      server.resume();
      await cache.close();
      close();
    }
  });
});

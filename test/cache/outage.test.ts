import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents, CacheInvalidationError, writeThrough } from '../../src/cache/index.js';
import { RedisPatternsError } from '../../src/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';
import { privateServersOfSuite } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Cache with Redis down via ${driver}`, () => {
  const { startServer, unhandled } = privateServersOfSuite();

  it('stopped mid-test: reads return loader results, writes are skipped, invalidations reject; then it recovers', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    const events: CacheEvents['redisError'][0][] = [];
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 200, offlineBackoffMs: 300, l1: { ttlMs: 50 } });
    cache.on('redisError', (e) => events.push(e));
    try {
      await cache.ready();
      let calls = 0;
      const load = async () => ++calls;
      expect(await cache.wrap('k', load)).toBe(1);
      await sleep(60); // past the L1 TTL: the next read goes to Redis
      expect(await cache.wrap('k', load)).toBe(1);
      await server.stop();

      const started = Date.now();
      const results: number[] = [];
      for (let i = 0; i < 20; i++) results.push(await cache.wrap(`down:${i}`, load));
      expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      // Only the first read after the failure waits for the timeout; the rest skip Redis during the backoff.
      expect(Date.now() - started).toBeLessThan(3000);
      // With node-redis the failed reads above can take only a few ms: let k's L1 copy expire
      // so the next read has to go to (unavailable) Redis.
      await sleep(60);
      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.set('k', 5)).toBe(false);
      await expect(cache.delete('k')).rejects.toBeInstanceOf(RedisPatternsError);
      await expect(cache.invalidateTag('t')).rejects.toBeInstanceOf(RedisPatternsError);
      const failed = await writeThrough(cache, async () => 'written', { keys: ['k'] }).catch((e) => e);
      expect(failed).toBeInstanceOf(CacheInvalidationError);
      expect(failed.result).toBe('written');
      expect(events.map((e) => e.operation)).toEqual(expect.arrayContaining(['get', 'delete', 'invalidateTag']));
      expect(events.every((e) => e.error instanceof RedisPatternsError)).toBe(true);
      expect(cache.stats().errors).toBeGreaterThan(0);

      const _restarted = await startServer({ port: server.port });
      // Recovery: the cache uses Redis again on its own (a fresh server: one load, then hits).
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await cache.set('probe', 1)) !== true) await sleep(100);
      const before = calls;
      await cache.wrap('after', load);
      await sleep(60);
      await cache.wrap('after', load);
      expect(calls).toBe(before + 1);
      expect(unhandled).toEqual([]);
    } finally {
      await cache.close();
      close();
    }
  });

  it('frozen (SIGSTOP): a read returns the loader result within about the timeout', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 200 });
    try {
      await cache.wrap('warm', async () => 1);
      expect(await cache.get('warm')).toBe(1); // waits for the store, which the wrap did not
      server.pause();
      const started = Date.now();
      expect(await cache.wrap('cold', async () => 'from-db')).toBe('from-db');
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(150);
      expect(elapsed).toBeLessThan(1500);
      server.resume();
      await sleep(1100); // past the offline backoff
      expect(await cache.wrap('warm', async () => 2)).toBe(1);
      expect(unhandled).toEqual([]);
    } finally {
      server.resume();
      close();
    }
  });
});

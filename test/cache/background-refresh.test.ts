// The background refresh a stale read starts: one per key at a time, its load guard bounded by
// the entry's lifetime in Redis, its value kept in L1, and none when the guard cannot be taken.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { keysOf, privateServersOfSuite, sleep } from './helpers.js';

/** A loader that counts its calls and settles only once `open` is called. */
function gated<T>(value: T) {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const loader = async () => {
    loader.calls++;
    await opened;
    return value;
  };
  loader.calls = 0;
  return { loader, open: () => open() };
}

describe(`Cache background refresh on ${target} via ${driver}`, () => {
  const { startServer } = privateServersOfSuite();

  it('a stale read while the key is still refreshing starts no second refresh', async () => {
    const connection = await testConnection();
    // No load guard: nothing in Redis stops a second refresh, only the cache's own bookkeeping.
    const cache = new Cache({ connection, ttlMs: 300, staleWhileRevalidateMs: 10_000, distributedLock: false });
    const refreshed: string[] = [];
    cache.on('refresh', (e) => refreshed.push(e.key));
    await cache.wrap('k', async () => 'v1');
    await cache.settled();
    await sleep(350);
    const slow = gated('v2');
    expect(await cache.wrap('k', slow.loader)).toBe('v1');
    expect(await cache.wrap('k', slow.loader)).toBe('v1');
    await sleep(50);
    expect(slow.loader.calls).toBe(1);
    expect(refreshed).toEqual(['k']);
    const stored = once(cache, 'load');
    slow.open();
    await stored;
    await cache.settled();
    expect(await cache.get('k')).toBe('v2');
    expect(cache.stats()).toMatchObject({ stale: 2, refreshes: 1, loads: 2 });
    await cache.close();
  });

  it("a refresh's load guard lives no longer than the entry's TTL plus its grace, below lockTtlMs", async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 200, staleWhileRevalidateMs: 5000, lockTtlMs: 30_000 });
    await cache.wrap('k', async () => 'v1');
    await cache.settled();
    await sleep(250);
    const slow = gated('v2');
    expect(await cache.wrap('k', slow.loader)).toBe('v1');
    const guard = keysOf(connection, 'k').guard;
    while (slow.loader.calls === 0) await sleep(10); // the refresh holds the guard and loads
    const pttl = Number(await connection.send(['PTTL', guard], guard));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5200);
    slow.open();
    await once(cache, 'load');
    await cache.settled();
    await cache.close();
  });

  it('a refreshed value is kept in L1: the next read is an L1 hit', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 500, staleWhileRevalidateMs: 60_000, l1: {} });
    await cache.ready();
    await cache.wrap('k', async () => 'v1');
    await cache.settled();
    await sleep(600); // stale in Redis, gone from L1
    const loaded = once(cache, 'load');
    expect(await cache.wrap('k', async () => 'v2')).toBe('v1');
    await loaded;
    await cache.settled();
    const l1Hits: string[] = [];
    cache.on('l1Hit', (e) => l1Hits.push(e.key));
    expect(await cache.get('k')).toBe('v2');
    expect(l1Hits).toEqual(['k']);
    await cache.close();
  });

  it('a refresh whose guard Redis refuses loads nothing: the stale value stays, only the claim is reported', async () => {
    const server = await startServer();
    const admin = await privateConnection(server);
    await admin.connection.send(['ACL', 'SETUSER', 'noSet', 'on', '>pw', '~*', '&*', '+@all', '-set']);
    const side = await privateConnection(`redis://noSet:pw@127.0.0.1:${server.port}`);
    try {
      const options = { ttlMs: 100, staleWhileRevalidateMs: 10_000 };
      const writer = new Cache({ connection: admin.connection, ...options });
      await writer.wrap('k', async () => 'v1');
      await writer.settled();
      await sleep(150);
      const cache = new Cache({ connection: side.connection, ...options });
      const failures: string[] = [];
      cache.on('redisError', (e: CacheEvents['redisError'][0]) => failures.push(`${e.operation} ${e.key}`));
      const refreshed: string[] = [];
      cache.on('refresh', (e) => refreshed.push(e.key));
      let loads = 0;
      const loader = async () => {
        loads++;
        return 'v2';
      };
      expect(await cache.wrap('k', loader)).toBe('v1');
      await cache.settled();
      await sleep(50);
      expect(failures).toEqual(['claim k']);
      expect(loads).toBe(0);
      expect(refreshed).toEqual([]);
      expect(cache.stats()).toMatchObject({ stale: 1, refreshes: 0, loads: 0, errors: 1 });
    } finally {
      side.close();
      admin.close();
    }
  });
});

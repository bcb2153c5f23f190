// Negative entries (a loader's null or undefined) and the load guard's lifetime, read from the
// keys themselves.
import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { keysOf, sleep } from './helpers.js';

describe(`Cache negative entries on ${target} via ${driver}`, () => {
  it('a null lives for negativeTtlMs, without the grace period of values', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 30_000, negativeTtlMs: 5000 });
    expect(await cache.wrap('none', async () => null)).toBeNull();
    await cache.settled();
    const { entry } = keysOf(connection, 'none');
    const pttl = Number(await connection.send(['PTTL', entry], entry));
    expect(pttl).toBeGreaterThan(4000);
    expect(pttl).toBeLessThanOrEqual(5000);
  });

  it('with negativeTtlMs 0 a null is not stored, its guard is freed, and nothing fails', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, negativeTtlMs: 0, lockTtlMs: 60_000 });
    const failures: CacheEvents['redisError'][0][] = [];
    cache.on('redisError', (e) => failures.push(e));
    expect(await cache.wrap('none', async () => null)).toBeNull();
    await cache.settled();
    const { entry, guard } = keysOf(connection, 'none');
    expect(await connection.send(['EXISTS', entry], entry)).toBe(0);
    expect(await connection.send(['EXISTS', guard], guard)).toBe(0);
    expect(failures).toEqual([]);
    expect(cache.stats().errors).toBe(0);
  });

  it('without the distributed guard, a null not to be stored costs its GET and nothing more', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, negativeTtlMs: 0, distributedLock: false });
    const { byCommand } = await countCommands(connection, async () => {
      expect(await cache.wrap('none', async () => null)).toBeNull();
      await cache.settled();
    });
    expect(byCommand).toEqual({ get: 1 });
  });

  it('the load guard lives no longer than the entry’s ttlMs when that is shorter than lockTtlMs', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, lockTtlMs: 30_000 });
    const { guard } = keysOf(connection, 'k');
    let guardTtl = 0;
    await cache.wrap(
      'k',
      async () => {
        guardTtl = Number(await connection.send(['PTTL', guard], guard));
        return 'v';
      },
      { ttlMs: 2000 },
    );
    expect(guardTtl).toBeGreaterThan(1000);
    expect(guardTtl).toBeLessThanOrEqual(2000);
  });

  it('in L1 a null lives for negativeTtlMs too, not for ttlMs', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, negativeTtlMs: 100, l1: { ttlMs: 60_000 } });
    await cache.ready();
    let loads = 0;
    const load = async () => {
      loads++;
      return null;
    };
    expect(await cache.wrap('none', load)).toBeNull();
    expect(await cache.wrap('none', load)).toBeNull(); // from L1
    expect(loads).toBe(1);
    await sleep(150);
    expect(await cache.wrap('none', load)).toBeNull();
    expect(loads).toBe(2);
    await cache.close();
  });

  it('in L1 a value lives for ttlMs, not negativeTtlMs; a null not cached takes no L1 slot', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, negativeTtlMs: 100, l1: { ttlMs: 60_000 } });
    await cache.ready();
    expect(await cache.wrap('a', async () => 'v')).toBe('v');
    await sleep(150);
    expect((await countCommands(connection, () => cache.get('a'))).total).toBe(0);
    await cache.close();
    // One L1 slot, and negativeTtlMs 0: the null is not cached, so the slot keeps 'a'.
    const small = new Cache({ connection, ttlMs: 60_000, negativeTtlMs: 0, l1: { maxEntries: 1 } });
    await small.ready();
    expect(await small.wrap('a', async () => 'v')).toBe('v');
    expect(await small.wrap('none', async () => null)).toBeNull();
    expect((await countCommands(connection, () => small.get('a'))).total).toBe(0);
    await small.close();
  });
});

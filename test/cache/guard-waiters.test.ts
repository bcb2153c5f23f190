// A miss that found the load guard held: what it does with what it finds while it waits, and
// what it leaves of another's guard. Plus close() and a load someone awaits.
import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import type { RedisConnection } from '../../src/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { keysOf, sleep } from './helpers.js';

/** Holds `key`'s load guard as another instance would, for `ms`. */
async function holdGuard(connection: RedisConnection, key: string, ms: number): Promise<string> {
  const { guard } = keysOf(connection, key);
  await connection.send(['SET', guard, 'another-instance', 'PX', ms], guard);
  return guard;
}

describe(`Cache waiting on another's load guard on ${target} via ${driver}`, () => {
  it('taking over an expired guard loads and stores, and reports nothing', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const errors: unknown[] = [];
    cache.on('serializationError', (e) => errors.push(e));
    cache.on('redisError', (e) => errors.push(e));
    await holdGuard(connection, 'k', 100);
    expect(await cache.wrap('k', async () => 'loaded')).toBe('loaded');
    expect(errors).toEqual([]);
    expect(cache.stats().errors).toBe(0);
    expect(await cache.get('k')).toBe('loaded');
  });

  it('an entry stored meanwhile that it cannot decode: it loads by itself and reports the decode', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const decodes: CacheEvents['serializationError'][0][] = [];
    cache.on('serializationError', (e) => decodes.push(e));
    await holdGuard(connection, 'k', 60_000);
    const waiting = cache.wrap('k', async () => 'loaded');
    await sleep(50);
    const { entry } = keysOf(connection, 'k');
    await connection.send(['SET', entry, `${Date.now() + 60_000}|0|v|0|{not json`, 'PX', 60_000], entry);
    expect(await waiting).toBe('loaded');
    expect(decodes.map((e) => [e.operation, e.key])).toEqual([['decode', 'k']]);
  });

  it('a waiter that gave up leaves the holder’s guard alone, whether its loader failed, skipped or returned what cannot be stored', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, lockWaitMs: 100 });
    const guard = await holdGuard(connection, 'k', 60_000);
    await expect(
      cache.wrap('k', async () => {
        throw new Error('db down');
      }),
    ).rejects.toThrow('db down');
    // Nor does one whose loader skipped caching.
    expect(
      await cache.wrap('k', ({ skip }) => {
        skip();
        return 'not cached';
      }),
    ).toBe('not cached');
    // Nor does one whose value the serializer rejects.
    expect(await cache.wrap('k', async () => 10n)).toBe(10n);
    await cache.settled();
    expect(await connection.send(['GET', guard], guard)).toBe('another-instance');
  });

  it('close() leaves the signal of a load someone awaits alone', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    let signal: AbortSignal | undefined;
    const loading = cache.wrap('k', async (context) => {
      signal = context.signal;
      await sleep(100);
      return 'loaded';
    });
    await sleep(30);
    await cache.close();
    expect(signal?.aborted).toBe(false);
    expect(await loading).toBe('loaded');
  });
});

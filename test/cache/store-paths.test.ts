// What the store after a load and a background refresh do with the keys: the guard they may
// free and how long a refresh's guard lives, the command a store costs without a guard, the TTL a
// loader chooses for a null, and the load time a traced miss measures.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { keysOf, sleep } from './helpers.js';

describe(`Cache store paths on ${target} via ${driver}`, () => {
  it('without the distributed guard, a miss stores with one SET and leaves a guard another instance holds', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, distributedLock: false });
    const { guard } = keysOf(connection, 'k');
    await connection.send(['SET', guard, 'another-instance', 'PX', 60_000], guard);
    const { byCommand } = await countCommands(connection, async () => {
      expect(await cache.wrap('k', async () => 'v')).toBe('v');
      await cache.settled();
    });
    expect(byCommand).toEqual({ get: 1, set: 1 });
    expect(await connection.send(['GET', guard], guard)).toBe('another-instance');
    expect(await cache.get('k')).toBe('v');
  });

  it('without the distributed guard, a tagged miss is still indexed under its tags', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, distributedLock: false });
    expect(await cache.wrap('k', async () => 'v', { tags: ['ward:3'] })).toBe('v');
    await cache.settled();
    expect(await cache.invalidateTag('ward:3')).toBe(1);
    expect(await cache.get('k')).toBeUndefined();
  });

  it("a refresh's guard lives at most the entry's ttl plus grace", async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 100, staleWhileRevalidateMs: 1000, lockTtlMs: 60_000 });
    const { guard } = keysOf(connection, 'k');
    await cache.wrap('k', async () => 'v1');
    await cache.settled();
    await sleep(150);
    let guardTtl = -3;
    expect(
      await cache.wrap('k', async () => {
        guardTtl = Number(await connection.send(['PTTL', guard], guard));
        return 'v2';
      }),
    ).toBe('v1');
    await cache.settled();
    await sleep(20);
    expect(guardTtl).toBeGreaterThan(0);
    expect(guardTtl).toBeLessThanOrEqual(1100);
    await cache.close();
  });

  it('a TTL the loader chooses for a null replaces negativeTtlMs', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, negativeTtlMs: 1000 });
    expect(
      await cache.wrap('none', ({ setTtl }) => {
        setTtl(20_000);
        return null;
      }),
    ).toBeNull();
    await cache.settled();
    const { entry } = keysOf(connection, 'none');
    expect(Number(await connection.send(['PTTL', entry], entry))).toBeGreaterThan(19_000);
  });

  it('a traced miss measures the load', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const [context] = await tracedOperations('cache', () => cache.wrap('k', () => sleep(20).then(() => 'v')));
    expect(context?.measurements?.loadMs).toBeGreaterThanOrEqual(15);
  });

  it('a loaded value the serializer rejects frees the load guard at once', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, lockTtlMs: 60_000 });
    expect(await cache.wrap('k', async () => 10n)).toBe(10n);
    await cache.settled();
    const { guard } = keysOf(connection, 'k');
    expect(await connection.send(['EXISTS', guard], guard)).toBe(0);
  });
});

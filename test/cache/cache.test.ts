import { describe, expect, it } from 'vitest';
import { Cache, CacheInvalidationError, writeThrough } from '../../src/cache/index.js';
import { SerializationError, ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { counter, keysOf, sleep } from './helpers.js';

describe(`Cache on ${target} via ${driver}`, () => {
  it('wrap loads once, then serves hits; a hit costs one GET', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    // The miss's store (a script, not awaited) must not fall back to EVAL inside the measured hit.
    await connection.preload();
    const load = counter((n) => ({ slots: ['09:00', '09:30'], n }));
    expect(await cache.wrap('availability:42', load)).toEqual({ slots: ['09:00', '09:30'], n: 1 });
    const { result, byCommand, total } = await countCommands(connection, () => cache.wrap('availability:42', load));
    expect(result).toEqual({ slots: ['09:00', '09:30'], n: 1 });
    expect(load.calls).toBe(1);
    expect(byCommand).toEqual({ get: 1 });
    expect(total).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, loads: 1 });
  });

  it('a cold miss costs three round trips: GET, SET NX (guard), then SET + DEL (store, release)', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await connection.preload();
    const { byCommand, total } = await countCommands(connection, () => cache.wrap('cold', async () => 'v'));
    // The store's SET and DEL: pipelined on node-redis, one script on ioredis (whose pipelines cost more).
    expect(byCommand).toEqual(driver === 'node-redis' ? { get: 1, set: 2, del: 1 } : { get: 1, set: 2, del: 1, evalsha: 1 });
    expect(total).toBe(driver === 'node-redis' ? 4 : 5);
  });

  it('a tagged set is one round trip (one EVALSHA) and set/get round-trip values', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.set('warm', 1, { tags: ['t', 'u'] }); // defines the script of this arity
    await connection.preload(); // on every node, so the measured call needs no NOSCRIPT fallback
    const { byCommand } = await countCommands(connection, () => cache.set('p:1', { name: 'Dr. Ada' }, { tags: ['providers', 'clinic:7'] }));
    expect(byCommand.evalsha).toBe(1);
    expect(byCommand.eval).toBeUndefined();
    // Inside the script: SET, TIME, and per tag ZADD, ZREMRANGEBYSCORE, PTTL, PEXPIRE; plus PUBLISH.
    expect(byCommand.set).toBe(1);
    expect(byCommand.zadd).toBe(2);
    expect(await cache.get('p:1')).toEqual({ name: 'Dr. Ada' });
    expect(await cache.get('p:missing')).toBeUndefined();
  });

  it('every key written has a TTL', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 30_000, staleWhileRevalidateMs: 10_000 });
    await cache.set('a', 1, { tags: ['x'] });
    await cache.wrap('b', async () => 2, { tags: ['y'] });
    await cache.wrap('c', async () => 3);
    await cache.mset([{ key: 'd', value: 4 }]);
    await cache.settled(); // the misses' stores, which the wraps did not wait for
    let seen = 0;
    for await (const batch of connection.scan(connection.keys('cache').pattern())) {
      for (const key of batch) {
        seen++;
        const pttl = Number(await connection.send(['PTTL', key], key));
        expect(pttl, key).toBeGreaterThan(0);
        expect(pttl, key).toBeLessThanOrEqual(40_000);
      }
    }
    // 4 entries and 2 tag indexes; the load guards of b and c were released.
    expect(seen).toBe(6);
  });

  it('concurrent misses in one process share one loader call', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const load = counter(() => 'v', 50);
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.wrap('hot', load)));
    expect(new Set(results)).toEqual(new Set(['v']));
    expect(load.calls).toBe(1);
  });

  it('two instances: one loads, the other waits for its value (distributed guard)', async () => {
    const connection = await testConnection();
    const a = new Cache({ connection, ttlMs: 60_000 });
    const b = new Cache({ connection, ttlMs: 60_000 });
    const load = counter((n) => `v${n}`, 150);
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => a.wrap('k', load)),
      ...Array.from({ length: 20 }, () => b.wrap('k', load)),
    ]);
    expect(load.calls).toBe(1);
    expect(new Set(results)).toEqual(new Set(['v1']));
  });

  it('without the distributed guard each instance loads at most once', async () => {
    const connection = await testConnection();
    const a = new Cache({ connection, ttlMs: 60_000, distributedLock: false });
    const b = new Cache({ connection, ttlMs: 60_000, distributedLock: false });
    const load = counter(() => 'v', 100);
    await Promise.all([...Array.from({ length: 20 }, () => a.wrap('k', load)), ...Array.from({ length: 20 }, () => b.wrap('k', load))]);
    expect(load.calls).toBeGreaterThanOrEqual(1);
    expect(load.calls).toBeLessThanOrEqual(2);
  });

  it('a waiter takes over when the loading instance never stores (its guard expires)', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, lockTtlMs: 300 });
    // Simulate a loader instance that died holding the guard: take the guard exactly as it would.
    const { guard } = keysOf(connection, 'orphan');
    await connection.send(['SET', guard, 'dead-instance', 'PX', 300], guard);
    const load = counter(() => 'recovered');
    const started = Date.now();
    expect(await cache.wrap('orphan', load)).toBe('recovered');
    expect(load.calls).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('a loader error rejects the call and caches nothing', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await expect(
      cache.wrap('boom', async () => {
        throw new Error('db down');
      }),
    ).rejects.toThrow('db down');
    expect(await cache.get('boom')).toBeUndefined();
    expect(await cache.wrap('boom', async () => 'ok')).toBe('ok');
  });

  it('negative caching: null is cached for negativeTtlMs, then reloaded', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, negativeTtlMs: 300 });
    const load = counter(() => null);
    expect(await cache.wrap('patient:missing', load)).toBeNull();
    expect(await cache.wrap('patient:missing', load)).toBeNull();
    expect(load.calls).toBe(1);
    expect(await cache.get('patient:missing')).toBeNull();
    const { entry } = keysOf(connection, 'patient:missing');
    expect(Number(await connection.send(['PTTL', entry], entry))).toBeLessThanOrEqual(300);
    await sleep(400);
    expect(await cache.wrap('patient:missing', load)).toBeNull();
    expect(load.calls).toBe(2);
    // undefined is kept apart from null; negativeTtlMs 0 does not cache it.
    const none = new Cache({ connection, ttlMs: 60_000, negativeTtlMs: 0 });
    const undef = counter(() => undefined);
    expect(await none.wrap('u', undef)).toBeUndefined();
    expect(await none.wrap('u', undef)).toBeUndefined();
    expect(undef.calls).toBe(2);
  });

  it('get and mget read a cached "not found" as null, whether the loader returned null or undefined', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    expect(await cache.wrap('none:null', async () => null)).toBeNull();
    expect(await cache.wrap('none:undefined', async () => undefined)).toBeUndefined();
    // wrap hands back what the loader returned, from Redis too.
    expect(await cache.wrap('none:undefined', async () => 'reloaded')).toBeUndefined();
    expect(await cache.get('none:null')).toBeNull();
    expect(await cache.get('none:undefined')).toBeNull();
    expect(await cache.get('none:never-cached')).toBeUndefined();
    expect(await cache.mget(['none:null', 'none:undefined', 'none:never-cached'])).toEqual([null, null, undefined]);
    await cache.set('none:set', undefined);
    expect(await cache.get('none:set')).toBeNull();
    // The same from the L1 tier.
    const local = new Cache({ connection, ttlMs: 60_000, l1: {} });
    await local.ready();
    expect(await local.wrap('l1:undefined', async () => undefined)).toBeUndefined();
    const { result, total } = await countCommands(connection, async () => [
      await local.get('l1:undefined'),
      await local.mget(['l1:undefined']),
    ]);
    expect(result).toEqual([null, [null]]);
    expect(total).toBe(0);
    await local.close();
  });

  it('stats and events count every read: wrap, get and each key of mget', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const seen: string[] = [];
    for (const name of ['hit', 'miss', 'load', 'l1Hit', 'stale', 'refresh'] as const) {
      cache.on(name, (e: { key: string }) => seen.push(`${name} ${e.key}`));
    }
    await cache.wrap('a', async () => 1);
    await cache.get('a');
    await cache.get('b');
    await cache.mget(['a', 'b']);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 3, loads: 1, l1Hits: 0, errors: 0 });
    expect(seen).toEqual(['miss a', 'load a', 'hit a', 'miss b', 'hit a', 'miss b']);
  });

  it('stale-while-revalidate serves stale within grace, refreshes once, reloads beyond grace', async () => {
    const connection = await testConnection();
    const events: string[] = [];
    const cache = new Cache({ connection, ttlMs: 300, staleWhileRevalidateMs: 1000 });
    cache.on('stale', () => events.push('stale'));
    cache.on('refresh', () => events.push('refresh'));
    const other = new Cache({ connection, ttlMs: 300, staleWhileRevalidateMs: 1000 });
    const load = counter((n) => `v${n}`, 100);
    expect(await cache.wrap('s', load)).toBe('v1');
    await sleep(400); // stale now, still within grace
    const stale = await Promise.all([
      ...Array.from({ length: 10 }, () => cache.wrap('s', load)),
      ...Array.from({ length: 10 }, () => other.wrap('s', load)),
    ]);
    expect(new Set(stale)).toEqual(new Set(['v1']));
    await sleep(300);
    expect(load.calls).toBe(2); // one refresh across both instances
    expect(await cache.wrap('s', load)).toBe('v2');
    expect(events).toContain('stale');
    expect(events).toContain('refresh');
    // Beyond ttl + grace the entry is gone: a foreground reload.
    await sleep(1500);
    expect(await cache.wrap('s', load)).toBe('v3');
    expect(load.calls).toBe(3);
  });

  it('XFetch refreshes early, before expiry, when beta is large', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 1000, earlyRefreshBeta: 1_000_000 });
    const load = counter((n) => `v${n}`, 20);
    expect(await cache.wrap('x', load)).toBe('v1');
    // XFetch refreshes when delta * beta * -ln(rand) >= the remaining ~1 s. With delta ~20 ms and
    // beta 1e6 that fails only for rand > e^(-1/20000): about 1 run in 20,000.
    expect(await cache.wrap('x', load)).toBe('v1');
    await sleep(200);
    expect(load.calls).toBe(2);
    const off = new Cache({ connection, ttlMs: 1000 });
    const load2 = counter((n) => `w${n}`, 20);
    await off.wrap('y', load2);
    for (let i = 0; i < 20; i++) await off.wrap('y', load2);
    expect(load2.calls).toBe(1);
  });

  it('mget and mset', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const entries = Array.from({ length: 20 }, (_, i) => ({ key: `m:${i}`, value: { i } }));
    await cache.mset(entries.slice(0, 1));
    const setCount = await countCommands(connection, () => cache.mset(entries));
    expect(setCount.result).toBe(true);
    expect(setCount.byCommand.set).toBe(20);
    const got = await countCommands(connection, () => cache.mget([...entries.map((e) => e.key), 'm:none']));
    expect(got.result).toEqual([...entries.map((e) => e.value), undefined]);
    if (!connection.client.isCluster) {
      expect(got.byCommand).toEqual({ mget: 1 });
      expect(setCount.byCommand).toEqual({ set: 20, publish: 1 });
    }
  });

  it('delete removes entries and their guards', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.wrap('d1', async () => 1);
    await cache.wrap('d2', async () => 2);
    await cache.delete(['d1', 'd2']);
    const load = counter(() => 'again');
    expect(await cache.wrap('d1', load)).toBe('again');
    expect(await cache.get('d2')).toBeUndefined();
    expect(load.calls).toBe(1);
  });

  it('rejects bad input before sending anything', async () => {
    const connection = await testConnection();
    expect(() => new Cache({ connection, ttlMs: 0 })).toThrow(ValidationError);
    expect(() => new Cache({ connection, ttlMs: -5 })).toThrow(ValidationError);
    expect(() => new Cache({ connection } as never)).toThrow(ValidationError);
    expect(() => new Cache({ connection, ttlMs: 1000, l1: { maxEntries: 0 } })).toThrow(ValidationError);
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const { total } = await countCommands(connection, async () => {
      await expect(cache.set('k', 1, { ttlMs: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(cache.set('k', 1, { ttlMs: 1.5 })).rejects.toBeInstanceOf(ValidationError);
      await expect(cache.set('k', cycle)).rejects.toBeInstanceOf(SerializationError);
      await expect(cache.set('k', () => 1)).rejects.toBeInstanceOf(SerializationError);
      await expect(cache.set('k', 10n)).rejects.toBeInstanceOf(SerializationError);
      await expect(cache.set('x'.repeat(2000), 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(cache.set('', 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(cache.set('k', 1, { tags: [''] })).rejects.toBeInstanceOf(ValidationError);
      expect(() => cache.wrap('x'.repeat(2000), async () => 1)).toThrow(ValidationError);
      expect(() => cache.wrap('k', 'nope' as never)).toThrow(ValidationError);
      expect(() => cache.wrap('k', async () => 1, { ttlMs: -1 })).toThrow(ValidationError);
      await expect(cache.get(42 as never)).rejects.toBeInstanceOf(ValidationError);
      await expect(cache.delete([''])).rejects.toBeInstanceOf(ValidationError);
      await expect(cache.invalidateTag('')).rejects.toBeInstanceOf(ValidationError);
      await expect(cache.mset([{ key: 'a', value: 1, ttlMs: 0 }])).rejects.toBeInstanceOf(ValidationError);
    });
    expect(total).toBe(0);
  });

  it('a loader value the serializer rejects is returned but not cached, and reported', async () => {
    const connection = await testConnection();
    const events: unknown[] = [];
    const cache = new Cache({ connection, ttlMs: 60_000 });
    cache.on('serializationError', (e) => events.push(e));
    const value = { big: 10n };
    expect(await cache.wrap('bigint', async () => value)).toBe(value);
    expect(events).toEqual([expect.objectContaining({ operation: 'encode', key: 'bigint' })]);
    expect(cache.stats().errors).toBe(1);
    expect(await cache.get('bigint')).toBeUndefined();
  });

  it('keys are isolated: no user key can reach another entry', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.set('a:b', 1);
    await cache.set('a%3Ab', 2);
    await cache.set('{a}', 3);
    expect(await cache.mget(['a:b', 'a%3Ab', '{a}'])).toEqual([1, 2, 3]);
  });

  it('writeThrough writes first, then drops keys and tags', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const db = new Map([['p:1', 'old']]);
    await cache.set('p:1', 'old');
    await cache.set('list', ['old'], { tags: ['providers'] });
    const order: string[] = [];
    const result = await writeThrough(
      cache,
      async () => {
        order.push(`write (cached: ${await cache.get('p:1')})`);
        db.set('p:1', 'new');
        return 'written';
      },
      { keys: ['p:1'], tags: ['providers'] },
    );
    expect(result).toBe('written');
    expect(order).toEqual(['write (cached: old)']);
    expect(await cache.get('p:1')).toBeUndefined();
    expect(await cache.get('list')).toBeUndefined();
    expect(await cache.wrap('p:1', async () => db.get('p:1'))).toBe('new');
    await expect(writeThrough(cache, async () => 1, { keys: [''] })).rejects.toBeInstanceOf(ValidationError);
    expect(new CacheInvalidationError('r', new Error('x')).result).toBe('r');
  });
});

import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { CacheLayout } from '../../src/cache/layout.js';
import { type RedisConnection, RedisPatternsError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { counter, defaultLayout, sleep } from './helpers.js';

const pttl = async (connection: RedisConnection, key: string) => Number(await connection.send(['PTTL', key], key));

describe(`Cache expireTag on ${target} via ${driver}`, () => {
  const startServer = privateServers();

  it('marks tagged entries stale: served at once within their grace while one refresh runs across instances', async () => {
    const connection = await testConnection();
    const a = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 10_000 });
    const b = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 10_000 });
    const load = counter((n) => `slots v${n}`, 100);
    expect(await a.wrap('slots:7', load, { tags: ['provider:7'] })).toBe('slots v1');
    await a.set('untagged', 1);
    await a.set('other', 2, { tags: ['provider:8'] });
    expect(await a.expireTag('provider:7')).toBe(1);
    // get never serves stale: it reads a miss.
    expect(await a.get('slots:7')).toBeUndefined();
    // Readers on both instances get the old value without waiting for the loader...
    const started = Date.now();
    const served = await Promise.all([
      ...Array.from({ length: 10 }, () => a.wrap('slots:7', load)),
      ...Array.from({ length: 10 }, () => b.wrap('slots:7', load)),
    ]);
    expect(Date.now() - started).toBeLessThan(100 + 1000);
    expect(new Set(served)).toEqual(new Set(['slots v1']));
    // ...and one refresh, across both, stores the new one.
    await sleep(400);
    expect(load.calls).toBe(2);
    expect(await b.get('slots:7')).toBe('slots v2');
    expect(await a.get('untagged')).toBe(1);
    expect(await a.get('other')).toBe(2);
  });

  it('a stale entry lives only for what is left of its grace, and keeps its tag', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 1000 });
    const layout = defaultLayout(connection);
    await cache.set('k', { big: 'x'.repeat(100_000) }, { tags: ['t'] });
    expect(await pttl(connection, layout.of('k').entry)).toBeGreaterThan(60_000);
    expect(await cache.expireTag('t')).toBe(1);
    // Already stale: expiring again changes nothing and counts nothing.
    expect(await cache.expireTag('t')).toBe(0);
    const ttl = await pttl(connection, layout.of('k').entry);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    // The header was rewritten in place: the value reads back whole.
    const reader = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 1000, distributedLock: false });
    expect(await reader.wrap('k', async () => 'refreshed')).toEqual({ big: 'x'.repeat(100_000) });
    // Still indexed: invalidateTag deletes the stale entry (or its refreshed successor) too.
    expect(await cache.invalidateTag('t')).toBe(1);
  });

  it('an entry without grace has nothing to be served in: it is deleted, and the next wrap loads', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const load = counter((n) => n);
    expect(await cache.wrap('k', load, { tags: ['t'] })).toBe(1);
    await cache.wrap('none', async () => null, { tags: ['t'] });
    expect(await cache.expireTag('t')).toBe(2);
    expect(await cache.wrap('k', load, { tags: ['t'] })).toBe(2);
    expect(await cache.expireTag('gone')).toBe(0);
  });

  it('leaves the tag index without the entries it deleted or found gone', async () => {
    const connection = await testConnection();
    const layout = defaultLayout(connection);
    const members = async (key: string) => {
      const { bucket } = layout.of(key);
      return (await connection.send(['ZRANGE', layout.tagIndex(bucket, 't'), 0, -1], layout.tagIndex(bucket, 't'))) as string[];
    };
    // An entry deleted behind the cache's back stays listed until something reads the index.
    const withGrace = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 1000 });
    await withGrace.set('gone', 1, { tags: ['t'] });
    await connection.send(['DEL', layout.of('gone').entry], layout.of('gone').entry);
    expect(await members('gone')).toEqual([layout.of('gone').entry]);
    expect(await withGrace.expireTag('t')).toBe(0);
    expect(await members('gone')).toEqual([]);
    // Without grace the entry is deleted, and its index entry with it.
    const noGrace = new Cache({ connection, ttlMs: 60_000 });
    await noGrace.set('deleted', 1, { tags: ['t'] });
    expect(await noGrace.expireTag('t')).toBe(1);
    expect(await connection.send(['EXISTS', layout.of('deleted').entry], layout.of('deleted').entry)).toBe(0);
    expect(await members('deleted')).toEqual([]);
  });

  it("serves an entry stale for at most the expiring cache's own grace, whoever wrote it", async () => {
    const connection = await testConnection();
    const layout = defaultLayout(connection);
    const writer = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 600_000 });
    const expirer = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 2000 });
    await writer.set('k', 'v', { tags: ['t'] });
    expect(await pttl(connection, layout.of('k').entry)).toBeGreaterThan(600_000);
    expect(await expirer.expireTag('t')).toBe(1);
    const ttl = await pttl(connection, layout.of('k').entry);
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(2000);
  });

  it('a load that started before the expiry does not keep the refresh from starting', async () => {
    const connection = await testConnection();
    const layout = defaultLayout(connection);
    const cache = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 10_000 });
    await cache.set('k', 'old', { tags: ['t'] });
    // Another process took the load guard (a load of data read before the change) and is slow.
    const { guard } = layout.of('k');
    await connection.send(['SET', guard, 'another-process', 'PX', 60_000], guard);
    expect(await cache.expireTag('t')).toBe(1);
    const load = counter(() => 'new');
    expect(await cache.wrap('k', load)).toBe('old');
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && (await cache.get('k')) !== 'new') await sleep(20);
    expect(load.calls).toBe(1);
    expect(await cache.get('k')).toBe('new');
  });

  it('expires the tag on every slot bucket, and other instances drop it from L1', async () => {
    const connection = await testConnection();
    const buckets = 8;
    const writer = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 10_000, buckets });
    const reader = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 10_000, buckets, l1: {} });
    await reader.ready();
    const keys = Array.from({ length: 32 }, (_, i) => `ward:${i}`);
    for (const k of keys) await writer.set(k, k, { tags: ['ward'] });
    // Fill the reader's L1. A read that overlaps an invalidation message (the writer's sets
    // publish some, delivered late on a loaded machine) does not fill, so read until all are held.
    let fromRedis = -1;
    for (const until = Date.now() + 5000; fromRedis !== 0 && Date.now() < until; ) {
      for (const k of keys) await reader.wrap(k, async () => 'unused');
      fromRedis = (await countCommands(connection, () => reader.mget(keys))).total;
    }
    expect(fromRedis).toBe(0); // all from L1
    expect(await writer.expireTag('ward')).toBe(keys.length);
    // Coherence is bounded, not instant (pub/sub).
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && (await reader.get(keys[0] as string)) !== undefined) await sleep(10);
    expect(await reader.mget(keys)).toEqual(keys.map(() => undefined));
    await reader.close();
  });

  it('costs one ZRANGE and one script on standalone (one per bucket on a cluster), plus one announcement', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 1000 });
    const buckets = connection.client.isCluster ? 64 : 1;
    const layout = new CacheLayout(connection.keys('cache'), buckets);
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    for (const k of keys) await cache.set(k, k, { tags: ['t'] });
    await cache.expireTag('warm-up'); // defines the script
    await connection.preload();
    const { result, byCommand } = await countCommands(connection, () => cache.expireTag('t'));
    expect(result).toBe(10);
    expect(byCommand.evalsha).toBe(new Set(keys.map((k) => layout.of(k).bucket)).size);
    // One announcement: sharded (SPUBLISH) on a cluster whose servers have it.
    const sharded = await connection.shardedPubSub();
    expect(byCommand).toMatchObject(sharded ? { spublish: 1 } : { publish: 1 });
    expect((byCommand.publish ?? 0) + (byCommand.spublish ?? 0)).toBe(1);
    expect(byCommand.zrange).toBe(buckets);
    expect(byCommand.setrange).toBe(10);
  });

  it('a bad tag is a ValidationError, nothing sent; Redis down rejects (an expiry must not be skipped silently)', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const { total } = await countCommands(connection, async () => {
      for (const tag of ['', 42, 'x'.repeat(1025), '\uD800']) await expectInvalid(() => cache.expireTag(tag as string), 'tag');
    });
    expect(total).toBe(0);
    const server = await startServer();
    const { connection: down, close } = await privateConnection(server);
    try {
      const offline = new Cache({ connection: down, ttlMs: 60_000, timeoutMs: 200 });
      await server.stop();
      const started = Date.now();
      await expect(offline.expireTag('t')).rejects.toBeInstanceOf(RedisPatternsError);
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      close();
    }
  });
});

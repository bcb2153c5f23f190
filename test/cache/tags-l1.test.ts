import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { CacheLayout } from '../../src/cache/layout.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection, uniquePrefix } from '../harness/redis.js';
import { defaultLayout } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves how long it took. */
async function within(timeoutMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe()) return Date.now() - started;
    await sleep(10);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe(`Cache tags on ${target} via ${driver}`, () => {
  it('invalidateTag removes exactly the tagged keys, across slots', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const tagged = Array.from({ length: 40 }, (_, i) => `provider:${i}`);
    const other = Array.from({ length: 40 }, (_, i) => `clinic:${i}`);
    for (const k of tagged) await cache.set(k, k, { tags: ['providers'] });
    for (const k of other) await cache.set(k, k, { tags: ['clinics'] });
    await cache.wrap('provider:list', async () => tagged, { tags: ['providers'] });
    await cache.set('untagged', 1);
    if (connection.client.isCluster) {
      // The tagged entries really live in different slots (and nodes).
      const layout = new CacheLayout(connection.keys('cache'), 64);
      const slots = new Set<number>();
      for (const k of tagged) {
        const entry = layout.of(k).entry;
        slots.add(Number(await connection.send(['CLUSTER', 'KEYSLOT', entry], entry)));
      }
      expect(slots.size).toBeGreaterThan(10);
    }
    expect(await cache.invalidateTag('providers')).toBe(41);
    expect((await cache.mget(tagged)).every((v) => v === undefined)).toBe(true);
    expect(await cache.get('provider:list')).toBeUndefined();
    expect(await cache.mget(other)).toEqual(other);
    expect(await cache.get('untagged')).toBe(1);
    expect(await cache.invalidateTag('providers')).toBe(0);
    expect(await cache.invalidateTag('clinics')).toBe(40);
  });

  it('invalidateTag empties the tag in every slot bucket, standalone included (buckets option)', async () => {
    const connection = await testConnection();
    // Standalone defaults to one bucket: ask for several so this runs the multi-bucket path on every project.
    const buckets = 8;
    const cache = new Cache({ connection, ttlMs: 60_000, buckets });
    const layout = new CacheLayout(connection.keys('cache'), buckets);
    const tagged = Array.from({ length: 64 }, (_, i) => `patient:${i}`);
    // The keys really fall into every bucket (the spread is a fixed hash of the key).
    expect(new Set(tagged.map((k) => layout.of(k).bucket))).toEqual(new Set(layout.buckets));
    for (const k of tagged) await cache.set(k, k, { tags: ['ward:3'] });
    await cache.set('patient:other-ward', 1, { tags: ['ward:4'] });
    const exists = (key: string) => connection.send(['EXISTS', key], key);
    for (const bucket of layout.buckets) expect(await exists(layout.tagIndex(bucket, 'ward:3')), bucket).toBe(1);
    expect(await cache.invalidateTag('ward:3')).toBe(tagged.length);
    for (const k of tagged) expect(await exists(layout.of(k).entry), k).toBe(0);
    for (const bucket of layout.buckets) expect(await exists(layout.tagIndex(bucket, 'ward:3')), bucket).toBe(0);
    expect(await cache.get('patient:other-ward')).toBe(1);
    expect(await cache.invalidateTag('ward:3')).toBe(0);
  });

  it('a tag index stays bounded: the next tagged write drops members whose entries expired', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const layout = defaultLayout(connection);
    // Keys of one bucket, so they share one index (a cluster spreads keys over 64 buckets).
    const keys = Array.from({ length: 200 }, (_, i) => `visit:${i}`);
    const bucket = layout.of('visit:0').bucket;
    const same = keys.filter((k) => layout.of(k).bucket === bucket).slice(0, 5);
    const [first, last, ...shortLived] = same as [string, string, ...string[]];
    // The long-lived first entry keeps the index alive while the others expire.
    await cache.set(first, first, { tags: ['day'] });
    for (const k of shortLived) await cache.set(k, k, { tags: ['day'], ttlMs: 30 });
    await sleep(80);
    await cache.set(last, last, { tags: ['day'] });
    const index = layout.tagIndex(bucket, 'day');
    const members = (await connection.send(['ZRANGE', index, 0, -1], index)) as string[];
    expect([...members].sort()).toEqual([layout.of(first).entry, layout.of(last).entry].sort());
  });

  it('invalidateTag frees the load guard a load of the old data holds: the next wrap loads at once', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const layout = defaultLayout(connection);
    await cache.set('k', 'old', { tags: ['t'] });
    // Another process is loading 'k' from data read before the change, and is slow.
    const { guard } = layout.of('k');
    await connection.send(['SET', guard, 'another-process', 'PX', 60_000], guard);
    expect(await cache.invalidateTag('t')).toBe(1);
    const started = Date.now();
    expect(await cache.wrap('k', async () => 'new')).toBe('new');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('invalidateTag on standalone costs one ZRANGE and one script', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    for (let i = 0; i < 10; i++) await cache.set(`k${i}`, i, { tags: ['t'] });
    await cache.invalidateTag('none');
    const { result, byCommand } = await countCommands(connection, () => cache.invalidateTag('t'));
    expect(result).toBe(10);
    if (!connection.client.isCluster) {
      expect(byCommand.zrange).toBe(1);
      expect((byCommand.evalsha ?? 0) + (byCommand.eval ?? 0)).toBe(1);
      expect(byCommand.publish).toBe(1);
    } else {
      expect(byCommand.zrange).toBe(64);
    }
  });

  it('a key overwritten without the tag is still dropped by the tag (over-invalidation, never under)', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.set('k', 1, { tags: ['t'] });
    await cache.set('k', 2);
    await cache.invalidateTag('t');
    expect(await cache.get('k')).toBeUndefined();
  });

  it('tag indexes drop members whose entries expired by themselves', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.set('short', 1, { tags: ['t'], ttlMs: 100 });
    await sleep(200);
    await cache.set('long', 2, { tags: ['t'] });
    const idx = defaultLayout(connection);
    const bucket = idx.of('long').bucket;
    const members = (await connection.send(['ZRANGE', idx.tagIndex(bucket, 't'), 0, -1], idx.tagIndex(bucket, 't'))) as string[];
    expect(members).toEqual([idx.of('long').entry]);
  });
});

describe(`Cache L1 tier on ${target} via ${driver}`, () => {
  async function pair(l1TtlMs = 30_000) {
    const prefix = uniquePrefix('l1');
    const a = new Cache({ connection: await testConnection({ prefix }), ttlMs: 60_000, l1: { ttlMs: l1TtlMs, maxEntries: 100 } });
    const b = new Cache({ connection: await testConnection({ prefix }), ttlMs: 60_000, l1: { ttlMs: l1TtlMs, maxEntries: 100 } });
    await Promise.all([a.ready(), b.ready()]);
    return { a, b };
  }

  it('an L1 hit costs no round trip', async () => {
    const { a } = await pair();
    let calls = 0;
    await a.wrap('k', async () => ++calls);
    await a.settled(); // the miss's store, so no part of it lands in the count
    const { result, total } = await countCommands(a.connection, () => a.wrap('k', async () => ++calls));
    expect(result).toBe(1);
    expect(total).toBe(0);
    expect(a.stats().l1Hits).toBe(1);
  });

  it('instance A sets, instance B drops its L1 copy within a bounded time', async () => {
    const { a, b } = await pair();
    await a.set('provider:7', { name: 'old' });
    expect(await b.get('provider:7')).toEqual({ name: 'old' });
    // B soon serves from L1 without asking Redis (a read that overlapped A's invalidation
    // message, which a cluster delivers a little later, does not fill L1).
    await within(2000, async () => (await countCommands(b.connection, () => b.get('provider:7'))).total === 0);
    await a.set('provider:7', { name: 'new' });
    const took = await within(2000, async () => (await b.get<{ name: string }>('provider:7'))?.name === 'new');
    expect(took).toBeLessThan(2000);
  });

  it('delete, invalidateTag and mset on A reach B', async () => {
    const { a, b } = await pair();
    await a.set('x', 1);
    await a.set('y', 2, { tags: ['grp'] });
    await b.wrap('y', async () => -1, { tags: ['grp'] });
    expect(await b.get('x')).toBe(1);
    await a.delete('x');
    await within(2000, async () => (await b.get('x')) === undefined);
    expect(await b.get('y')).toBe(2);
    await a.invalidateTag('grp');
    await within(2000, async () => (await b.get('y')) === undefined);
    await a.mset([{ key: 'z', value: 'v1' }]);
    expect(await b.get('z')).toBe('v1');
    await a.mset([{ key: 'z', value: 'v2' }]);
    await within(2000, async () => (await b.get('z')) === 'v2');
  });

  it('get and mget answered from L1 are counted and reported like wrap', async () => {
    const { a } = await pair();
    const l1Hits: string[] = [];
    a.on('l1Hit', ({ key }) => l1Hits.push(key));
    await a.set('k', 1);
    await a.set('j', 2);
    const { total } = await countCommands(a.connection, async () => {
      expect(await a.get('k')).toBe(1);
      expect(await a.mget(['k', 'j'])).toEqual([1, 2]);
    });
    expect(total).toBe(0);
    expect(a.stats()).toMatchObject({ l1Hits: 3, hits: 0, misses: 0 });
    expect(l1Hits).toEqual(['k', 'k', 'j']);
  });

  it('an instance used before ready() never serves a value whose invalidation it missed', async () => {
    const prefix = uniquePrefix('l1');
    const writer = new Cache({ connection: await testConnection({ prefix }), ttlMs: 60_000 });
    await writer.set('x', 'old');
    const reader = new Cache({ connection: await testConnection({ prefix }), ttlMs: 60_000, l1: { ttlMs: 30_000 } });
    // Right away, while the reader's subscription is most likely still being set up.
    expect(await reader.get('x')).toBe('old');
    await writer.set('x', 'new');
    await reader.ready();
    await within(2000, async () => (await reader.get('x')) === 'new');
    // Once it listens, L1 serves the key with no round trip.
    await within(2000, async () => (await countCommands(reader.connection, () => reader.get('x'))).total === 0);
    await reader.close();
  });

  it("an instance's own delete, invalidateTag and clear drop its L1 copies at once", async () => {
    const { a } = await pair();
    await a.set('x', 1);
    await a.set('y', 2, { tags: ['grp'] });
    await a.set('z', 3);
    expect((await countCommands(a.connection, () => a.mget(['x', 'y', 'z']))).total).toBe(0);
    await a.delete('x');
    expect(await a.get('x')).toBeUndefined();
    await a.invalidateTag('grp');
    expect(await a.get('y')).toBeUndefined();
    await a.clear();
    expect(await a.get('z')).toBeUndefined();
  });

  /** Publishes `message` where the pair's caches listen, as another instance would. */
  async function publish(connection: Cache['connection'], message: string): Promise<void> {
    const channel = defaultLayout(connection).channels[0] as string;
    const sharded = await connection.shardedPubSub();
    await connection.send([sharded ? 'SPUBLISH' : 'PUBLISH', channel, message], channel);
  }

  it("another instance's key message drops only those keys; an unreadable one drops everything", async () => {
    const { a, b } = await pair();
    await a.set('x', 1);
    await a.set('y', 2);
    await b.mget(['x', 'y']);
    await within(2000, async () => (await countCommands(b.connection, () => b.mget(['x', 'y']))).total === 0);
    await a.delete('x');
    await within(2000, async () => (await b.get('x')) === undefined);
    expect((await countCommands(b.connection, () => b.get('y'))).total).toBe(0);
    await publish(b.connection, 'someone|k|not json');
    await within(2000, async () => (await countCommands(b.connection, () => b.get('y'))).total === 1);
  });

  it('a message of a kind it does not know drops nothing', async () => {
    const { b } = await pair();
    await b.set('y', 2);
    expect((await countCommands(b.connection, () => b.get('y'))).total).toBe(0);
    await publish(b.connection, 'someone|x|["y"]');
    await sleep(500); // time for the message to arrive
    expect((await countCommands(b.connection, () => b.get('y'))).total).toBe(0);
  });

  it('close() stops listening for invalidations', async () => {
    const a = new Cache({ connection: await testConnection({ prefix: uniquePrefix('l1') }), ttlMs: 60_000, l1: { ttlMs: 30_000 } });
    await a.ready();
    const connection = a.connection;
    const channel = defaultLayout(connection).channels[0] as string;
    const sharded = await connection.shardedPubSub();
    const listeners = async () => {
      const reply = (await connection.send(['PUBSUB', sharded ? 'SHARDNUMSUB' : 'NUMSUB', channel], channel)) as unknown[];
      return Number(reply[1]);
    };
    await within(2000, async () => (await listeners()) > 0);
    await a.close();
    await within(2000, async () => (await listeners()) === 0);
  });

  it('L1 is bounded (LRU) and expires on its own TTL', async () => {
    const { a } = await pair(200);
    for (let i = 0; i < 150; i++) await a.set(`k${i}`, i);
    // The most recent 100 are in L1 (no round trip); the oldest were evicted (one GET each).
    expect((await countCommands(a.connection, () => a.get('k149'))).total).toBe(0);
    expect((await countCommands(a.connection, () => a.get('k0'))).total).toBe(1);
    await sleep(300);
    expect((await countCommands(a.connection, () => a.get('k149'))).total).toBe(1);
  });
});

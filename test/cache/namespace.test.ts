import { tracingChannel } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import type { OperationContext } from '../../src/core/telemetry.js';
import type { RedisConnection } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every key under the connection's cache key space, read with SCAN on every primary. */
async function cacheKeys(connection: RedisConnection): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of connection.scan(connection.keys('cache').pattern())) out.push(...batch);
  return out.sort();
}

describe(`Cache namespaces on ${target} via ${driver}`, () => {
  it('caches with different namespaces (or none) never see each other’s entries or tags', async () => {
    const connection = await testConnection();
    const clinics = new Cache({ connection, ttlMs: 60_000, namespace: 'clinics' });
    const labs = new Cache({ connection, ttlMs: 60_000, namespace: 'labs' });
    const plain = new Cache({ connection, ttlMs: 60_000 });
    await clinics.set('42', 'clinic 42', { tags: ['city:boston'] });
    await labs.set('42', 'lab 42', { tags: ['city:boston'] });
    await plain.set('42', 'plain 42', { tags: ['city:boston'] });
    expect(await clinics.get('42')).toBe('clinic 42');
    expect(await labs.get('42')).toBe('lab 42');
    expect(await plain.get('42')).toBe('plain 42');
    expect(await labs.invalidateTag('city:boston')).toBe(1);
    expect(await labs.get('42')).toBeUndefined();
    expect(await clinics.get('42')).toBe('clinic 42');
    expect(await plain.get('42')).toBe('plain 42');
    const keys = await cacheKeys(connection);
    expect(keys.some((k) => k.includes('}:n:clinics:e:42'))).toBe(true);
    expect(clinics.namespace).toBe('clinics');
    expect(plain.namespace).toBeUndefined();
  });

  it('clear() deletes every key of its namespace only, on every node, and reports how many', async () => {
    const connection = await testConnection();
    const ns = 'sched*[1]?'; // glob characters in a namespace match only themselves
    const cache = new Cache({ connection, ttlMs: 60_000, namespace: ns, buckets: 8 });
    const lookalike = new Cache({ connection, ttlMs: 60_000, namespace: 'sched-1-', buckets: 8 });
    const plain = new Cache({ connection, ttlMs: 60_000, buckets: 8 });
    for (let i = 0; i < 40; i++) await cache.set(`slot:${i}`, i, { tags: ['day:mon'] });
    await cache.wrap('loaded', async () => 'x');
    for (let i = 0; i < 5; i++) {
      await lookalike.set(`slot:${i}`, i);
      await plain.set(`slot:${i}`, i, { tags: ['day:mon'] });
    }
    const before = await cacheKeys(connection);
    const ours = before.filter((k) => k.includes(':n:sched*[1]?:'));
    // 41 entries and one tag index per bucket that holds tagged entries.
    expect(ours.length).toBeGreaterThan(41);
    expect(await cache.clear()).toBe(ours.length);
    expect(await cacheKeys(connection)).toEqual(before.filter((k) => !ours.includes(k)));
    expect(await cache.get('slot:1')).toBeUndefined();
    expect(await lookalike.get('slot:1')).toBe(1);
    expect(await plain.get('slot:1')).toBe(1);
    expect(await cache.clear()).toBe(0);
    // Without a namespace, clear() is the entries of every cache without one, and nothing else.
    const plainKeys = (await cacheKeys(connection)).filter((k) => !k.includes(':n:'));
    expect(plainKeys.length).toBeGreaterThan(5); // entries and tag indexes
    expect(await plain.clear()).toBe(plainKeys.length);
    expect(await lookalike.get('slot:1')).toBe(1);
    const left = await cacheKeys(connection);
    expect(left).toHaveLength(5);
    expect(left.every((k) => k.includes(':n:sched-1-:'))).toBe(true);
  });

  it('clear() empties the L1 tier of every instance of the namespace, and only of that namespace', async () => {
    const connection = await testConnection();
    const admin = new Cache({ connection, ttlMs: 60_000, namespace: 'providers' });
    const web = new Cache({ connection, ttlMs: 60_000, namespace: 'providers', l1: {} });
    const other = new Cache({ connection, ttlMs: 60_000, namespace: 'patients', l1: {} });
    await Promise.all([web.ready(), other.ready()]);
    await admin.set('p:1', 'Dr. Ada');
    await other.set('p:1', 'patient');
    expect(await web.wrap('p:1', async () => 'unused')).toBe('Dr. Ada');
    expect(await other.wrap('p:1', async () => 'unused')).toBe('patient');
    await admin.clear();
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && (await web.get('p:1')) !== undefined) await sleep(10);
    expect(await web.get('p:1')).toBeUndefined();
    // The other namespace's L1 still answers, without Redis.
    await sleep(50);
    const { result, total } = await countCommands(connection, () => other.get('p:1'));
    expect(result).toBe('patient');
    expect(total).toBe(0);
    await Promise.all([web.close(), other.close()]);
  });

  it('a hit in a namespace is still one GET, and operations publish the namespace as their cache attribute', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, namespace: 'providers' });
    await cache.set('p:1', 1, { tags: ['t'] });
    const { byCommand } = await countCommands(connection, () => cache.wrap('p:1', () => 2));
    expect(byCommand).toEqual({ get: 1 });
    const seen: OperationContext[] = [];
    const channel = tracingChannel<object, OperationContext>('redis-patterns:cache');
    const handlers = { start: (c: OperationContext) => seen.push(c), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    channel.subscribe(handlers);
    try {
      await cache.wrap('p:1', () => 2);
      await cache.expireTag('t');
      await cache.clear();
      await new Cache({ connection, ttlMs: 60_000 }).get('p:1');
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(seen.map((c) => [c.operation, c.attributes])).toEqual([
      ['wrap', { cache: 'providers' }],
      ['expireTag', { cache: 'providers' }],
      ['clear', { cache: 'providers' }],
      ['get', {}],
    ]);
    expect(seen.map((c) => c.outcome)).toEqual(['hit', undefined, undefined, 'miss']);
  });

  it('a bad namespace is a ValidationError, nothing sent', async () => {
    const connection = await testConnection();
    const { total } = await countCommands(connection, async () => {
      for (const namespace of ['', 42, 'x'.repeat(1025), '\uDC00', null]) {
        await expectInvalid(() => new Cache({ connection, ttlMs: 1000, namespace: namespace as string }), 'namespace');
      }
    });
    expect(total).toBe(0);
    expect(new Cache({ connection, ttlMs: 1000, namespace: 'é'.repeat(512) }).namespace).toHaveLength(512);
  });
});

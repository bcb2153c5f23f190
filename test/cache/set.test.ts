// What one set writes: an untagged set touches the entry (and its guard) only; the entry lives
// for its TTL plus the grace period.
import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { defaultLayout, privateServersOfSuite } from './helpers.js';

describe(`Cache set on ${target} via ${driver}`, () => {
  const { startServer } = privateServersOfSuite();

  it('an untagged set is one script that writes the entry and indexes no tag', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.set('warm', 1);
    await connection.preload();
    const { byCommand } = await countCommands(connection, () => cache.set('k', 'v'));
    expect(byCommand.evalsha).toBe(1);
    expect(byCommand.set).toBe(1);
    expect(byCommand.zadd).toBeUndefined();
    expect(await cache.get('k')).toBe('v');
  });

  it('an entry of set or mset expires from Redis after its TTL plus the grace period', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 30_000, staleWhileRevalidateMs: 10_000 });
    await cache.set('k', 'v');
    await cache.set('short', 'v', { ttlMs: 5000 });
    await cache.mset([
      { key: 'm', value: 'v' },
      { key: 'm-short', value: 'v', ttlMs: 5000 },
    ]);
    const layout = defaultLayout(connection);
    const pttl = async (key: string) => {
      const { entry } = layout.of(key);
      return Number(await connection.send(['PTTL', entry], entry));
    };
    expect(await pttl('k')).toBeGreaterThan(39_000);
    expect(await pttl('k')).toBeLessThanOrEqual(40_000);
    expect(await pttl('short')).toBeGreaterThan(14_000);
    expect(await pttl('short')).toBeLessThanOrEqual(15_000);
    expect(await pttl('m')).toBeGreaterThan(39_000);
    expect(await pttl('m')).toBeLessThanOrEqual(40_000);
    expect(await pttl('m-short')).toBeGreaterThan(14_000);
    expect(await pttl('m-short')).toBeLessThanOrEqual(15_000);
  });

  it('frees the load guard of the key, whoever holds it: the value set is what waiters get', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const { guard } = defaultLayout(connection).of('k');
    await connection.send(['SET', guard, 'another-instance', 'PX', 60_000], guard);
    await cache.set('k', 'v');
    expect(await connection.send(['EXISTS', guard], guard)).toBe(0);
  });

  it('a set and an mset Redis refuses resolve false and report their operation (and the key of set)', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const events: CacheEvents['redisError'][0][] = [];
    cache.on('redisError', (e) => events.push(e));
    try {
      await connection.send(['CONFIG', 'SET', 'maxmemory', '1']); // every write that needs memory is refused
      expect(await cache.set('k', 'v')).toBe(false);
      expect(await cache.mset([{ key: 'm', value: 'v' }])).toBe(false);
      expect(events.map((e) => [e.operation, e.key])).toEqual([
        ['set', 'k'],
        ['mset', undefined],
      ]);
      expect('key' in (events[1] ?? {})).toBe(false); // not even an undefined key: it concerns no one key
    } finally {
      await cache.close();
      close();
    }
  });
});

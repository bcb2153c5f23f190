// An entry whose value the serializer cannot read back (written by another program, or by a
// cache with another serializer): every read treats it as a miss and reports it.
import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import type { RedisConnection } from '../../src/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { defaultLayout } from './helpers.js';

/** Writes an entry under `key` with a well-formed header, fresh for a minute, and `payload` as its JSON value. */
async function writeRaw(connection: RedisConnection, key: string, payload: string): Promise<void> {
  const { entry } = defaultLayout(connection).of(key);
  await connection.send(['SET', entry, `${Date.now() + 60_000}|0|v|0|${payload}`, 'PX', 60_000], entry);
}

describe(`Cache entries it cannot decode on ${target} via ${driver}`, () => {
  it('get, mget and wrap read them as misses and report a decode serializationError with the key', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const events: CacheEvents['serializationError'][0][] = [];
    cache.on('serializationError', (e) => events.push(e));
    await writeRaw(connection, 'a', '{not json');
    await writeRaw(connection, 'b', '{not json');
    await writeRaw(connection, 'c', '{not json');
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.mget(['b', 'ok'])).toEqual([undefined, undefined]);
    expect(await cache.wrap('c', async () => 'loaded')).toBe('loaded');
    expect(events.map((e) => [e.operation, e.key, e.error instanceof Error])).toEqual([
      ['decode', 'a', true],
      ['decode', 'b', true],
      ['decode', 'c', true],
    ]);
    expect(cache.stats()).toMatchObject({ errors: 3, misses: 4, hits: 0, loads: 1 });
    // The load replaced the unreadable entry.
    await cache.settled();
    expect(await cache.get('c')).toBe('loaded');
  });
});

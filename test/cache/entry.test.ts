import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import type { Serializer } from '../../src/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { keysOf } from './helpers.js';

describe(`Cache entry encoding on ${target} via ${driver}`, () => {
  // A wrap serves any entry it can decode (a past freshUntil only makes it stale), and loads
  // when it cannot: so what wrap returns tells whether a raw value was taken as an entry.
  async function served(raw: string): Promise<unknown> {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const { entry } = keysOf(connection, 'k');
    await connection.send(['SET', entry, raw], entry);
    const value = await cache.wrap<unknown>('k', async () => 'loaded');
    await cache.settled();
    return value;
  }

  it('takes a well-formed entry, even with a one-digit freshUntil', async () => {
    expect(await served('1|0|v|0|"x"')).toBe('x');
    expect(await served('1|0|n|0|')).toBeNull();
  });

  it('treats a malformed value as a miss', async () => {
    // No freshUntil at all (Number('') would be 0).
    expect(await served('|0|v|0|"x"')).toBe('loaded');
    // A kind of two characters.
    expect(await served('1|0|vv|0|"x"')).toBe('loaded');
    // No separator after the tags' length.
    expect(await served('1|0|n|00')).toBe('loaded');
    // Numbers that are not numbers.
    expect(await served('x|0|n|0|')).toBe('loaded');
    expect(await served('1|x|n|0|')).toBe('loaded');
    expect(await served('1|0|n|x|')).toBe('loaded');
    // An unknown kind.
    expect(await served('1|0|z|0|')).toBe('loaded');
  });

  it('stores null and undefined without the serializer, and reads them back as themselves', async () => {
    const connection = await testConnection();
    const seen: unknown[] = [];
    const serializer: Serializer = {
      serialize: (value) => {
        seen.push(value);
        return JSON.stringify(value);
      },
      deserialize: (text) => JSON.parse(text),
    };
    const cache = new Cache({ connection, ttlMs: 60_000, serializer });
    await cache.set('null', null);
    await cache.set('undefined', undefined);
    expect(seen).toEqual([]);
    const reader = new Cache({ connection, ttlMs: 60_000, serializer });
    expect(await reader.wrap<unknown>('null', async () => 'loaded')).toBeNull();
    expect(await reader.wrap<unknown>('undefined', async () => 'loaded')).toBeUndefined();
  });
});

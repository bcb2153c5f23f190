import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`Cache key layout on ${target} via ${driver}`, () => {
  it("clear() leaves the keys of a prefix that merely starts with its own cache keys' base", async () => {
    const connection = await testConnection();
    const base = connection.keys('cache').stem('x').split('{')[0] as string;
    // This connection's keys all start with the first one's `<prefix>:cache:` and differ after it.
    const nested = await testConnection({ prefix: `${base}inner` });
    const outer = new Cache({ connection, ttlMs: 60_000 });
    const inner = new Cache({ connection: nested, ttlMs: 60_000 });
    await outer.set('k', 'outer');
    await inner.set('k', 'inner');
    expect(await outer.clear()).toBe(1);
    expect(await outer.get('k')).toBeUndefined();
    expect(await inner.get('k')).toBe('inner');
  });

  it('puts a key in the bucket FNV-1a picks, so every instance and version finds it', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, buckets: 8 });
    const fnv1a = (text: string) => {
      let h = 0x811c9dc5;
      for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
      return h >>> 0;
    };
    for (const key of ['provider:1', 'provider:2', 'k']) {
      await cache.set(key, 1);
      const entry = `${connection.keys('cache').stem(`b${fnv1a(key) % 8}`)}:e:${key.replace(':', '%3A')}`;
      expect(await connection.send(['EXISTS', entry], entry), key).toBe(1);
    }
  });
});

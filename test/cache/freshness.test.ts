// An entry is fresh up to, not including, the millisecond its TTL ends: from then on get and
// mget read it as a miss and wrap serves it stale. The cache's clock (Date.now) is held still
// around that millisecond; Redis keeps the entry far longer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`Cache freshness boundary on ${target} via ${driver}`, () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('fresh at ttlMs - 1 ms after the write, stale at ttlMs', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 1000, staleWhileRevalidateMs: 60_000 });
    const now = vi.spyOn(Date, 'now');
    const written = Date.now();
    now.mockReturnValue(written);
    await cache.set('k', 'v');
    const events: string[] = [];
    for (const name of ['hit', 'miss', 'stale'] as const) cache.on(name, () => events.push(name));

    now.mockReturnValue(written + 999);
    expect(await cache.get('k')).toBe('v');
    expect(await cache.mget(['k'])).toEqual(['v']);
    expect(await cache.wrap('k', async () => 'reloaded')).toBe('v');
    expect(events).toEqual(['hit', 'hit', 'hit']);

    now.mockReturnValue(written + 1000);
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.mget(['k'])).toEqual([undefined]);
    expect(await cache.wrap('k', async () => 'reloaded')).toBe('v');
    expect(events.slice(3)).toEqual(['miss', 'miss', 'stale']);
    await cache.close();
  });
});

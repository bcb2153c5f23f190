// The counters of stats() and the events that go with them for what the read tests leave out:
// stale reads, refreshes, a refresh that failed, L1 hits, and a load's duration.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { sleep } from './helpers.js';

describe(`Cache stats on ${target} via ${driver}`, () => {
  it('a stale read starts one refresh; a refresh whose loader throws counts an error and tells refreshFailed', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 100, staleWhileRevalidateMs: 10_000 });
    const failed: { key: string; error: unknown }[] = [];
    cache.on('refreshFailed', (e) => failed.push(e));
    expect(await cache.wrap('k', async () => 'v1')).toBe('v1');
    await cache.settled();
    await sleep(150);
    const boom = new Error('db down');
    expect(
      await cache.wrap('k', async () => {
        throw boom;
      }),
    ).toBe('v1');
    await cache.settled();
    await sleep(20);
    expect(failed).toEqual([{ key: 'k', error: boom }]);
    expect(cache.stats()).toEqual({ l1Hits: 0, hits: 0, stale: 1, misses: 1, loads: 1, refreshes: 1, errors: 1 });
    expect(await cache.wrap('k', async () => 'v2')).toBe('v1');
    await cache.settled();
    await sleep(20);
    expect(cache.stats()).toMatchObject({ stale: 2, loads: 2, refreshes: 2, errors: 1 });
    expect(await cache.get('k')).toBe('v2');
    await cache.close();
  });

  it('L1 hits are counted, and load reports how long the loader took', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, l1: {} });
    await cache.ready();
    const durations: number[] = [];
    cache.on('load', (e) => durations.push(e.durationMs));
    const before = performance.now();
    await cache.wrap('k', () => sleep(60).then(() => 'v'));
    const took = performance.now() - before;
    await cache.wrap('k', async () => 'unused');
    await cache.get('k');
    await cache.mget(['k']);
    expect(cache.stats()).toMatchObject({ l1Hits: 3, misses: 1, loads: 1 });
    expect(durations).toHaveLength(1);
    expect(durations[0]).toBeGreaterThanOrEqual(55);
    expect(durations[0]).toBeLessThanOrEqual(took);
    await cache.close();
  });

  it('a wrap answered from Redis tells hit', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const seen: string[] = [];
    for (const name of ['hit', 'miss', 'load', 'stale'] as const) cache.on(name, (e: { key: string }) => seen.push(`${name} ${e.key}`));
    await cache.wrap('k', async () => 'v');
    expect(await cache.wrap('k', async () => 'unused')).toBe('v');
    expect(seen).toEqual(['miss k', 'load k', 'hit k']);
  });
});

import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { CacheLayout } from '../../src/cache/layout.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`Cache tag sweep on ${target} via ${driver}`, () => {
  it('a tag nothing carries costs one ZRANGE per bucket and no script', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const buckets = connection.client.isCluster ? 64 : 1;
    await cache.set('w', 1, { tags: ['warm-up'] });
    await cache.invalidateTag('warm-up'); // defines the script
    await connection.preload();
    const { result, byCommand } = await countCommands(connection, () => cache.invalidateTag('nobody'));
    expect(result).toBe(0);
    expect(byCommand.zrange).toBe(buckets);
    expect(byCommand.evalsha).toBeUndefined();
  });

  it('runs the script over 256 entries at a time, each entry once', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const buckets = connection.client.isCluster ? 64 : 1;
    const layout = new CacheLayout(connection.keys('cache'), buckets);
    const keys = Array.from({ length: 300 }, (_, i) => `many:${i}`);
    await Promise.all(keys.map((k) => cache.set(k, k, { tags: ['many'] })));
    await cache.set('w', 1, { tags: ['warm-up'] });
    await cache.invalidateTag('warm-up');
    await connection.preload();
    const perBucket = new Map<string, number>();
    for (const k of keys) perBucket.set(layout.of(k).bucket, (perBucket.get(layout.of(k).bucket) ?? 0) + 1);
    const scripts = [...perBucket.values()].reduce((sum, n) => sum + Math.ceil(n / 256), 0);
    const { result, byCommand } = await countCommands(connection, () => cache.invalidateTag('many'));
    expect(result).toBe(300);
    expect(byCommand.evalsha).toBe(scripts);
    // An entry key and its guard per entry, and one index removal: none twice.
    expect(byCommand.del).toBe(600);
    expect(byCommand.zrem).toBe(300);
    expect(await cache.get('many:0')).toBeUndefined();
  });
});

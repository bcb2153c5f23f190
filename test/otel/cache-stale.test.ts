// A cache read served stale (an entry in its grace period) through the real OpenTelemetry SDK: a
// request of result `stale` from the Redis tier, apart from hits and misses.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { telemetryPerTest, total } from './sdk.js';

describe(`OpenTelemetry for stale cache reads on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('a wrap served from an entry in its grace period is a stale request of the Redis tier; a get of it is a miss', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 60_000 });
    await cache.set('schedule:7', 'week v1', { tags: ['provider:7'] });
    // Marked stale now: within its grace, wrap serves it at once and refreshes it in the background.
    expect(await cache.expireTag('provider:7')).toBe(1);
    const sdk = record();
    expect(await cache.get('schedule:7')).toBeUndefined();
    expect(await cache.wrap('schedule:7', async () => 'week v2')).toBe('week v1');
    await cache.settled();
    expect(sdk.spans('cache.wrap').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['stale']);
    const requests = await sdk.metric('redis_patterns.cache.requests');
    expect(requests.map((p) => [p.attributes['redis_patterns.result'], p.attributes['redis_patterns.tier'], p.value])).toEqual([
      ['miss', 'redis', 1],
      ['stale', 'redis', 1],
    ]);
    expect(total(requests)).toBe(2);
  });
});

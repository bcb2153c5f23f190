// ready() without an L1 tier, and what close() leaves alone.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { sleep } from './helpers.js';

describe(`Cache lifecycle on ${target} via ${driver}`, () => {
  it('without L1, ready() resolves at once and sends nothing', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const { total } = await countCommands(connection, () => cache.ready());
    expect(total).toBe(0);
    await cache.close();
  });

  it('close() leaves the signal of a background refresh that already finished alone', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 100, staleWhileRevalidateMs: 10_000 });
    await cache.wrap('k', async () => 'v1');
    await cache.settled();
    await sleep(150);
    let signal: AbortSignal | undefined;
    expect(
      await cache.wrap('k', async (context) => {
        signal = context.signal;
        return 'v2';
      }),
    ).toBe('v1');
    await cache.settled();
    await sleep(20);
    expect(await cache.get('k')).toBe('v2'); // the refresh finished and stored
    await cache.close();
    expect(signal?.aborted).toBe(false);
  });

  it('a refresh still taking its guard when close() is called never runs its loader; after close() stale reads refresh nothing', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 100, staleWhileRevalidateMs: 10_000 });
    await cache.wrap('k', async () => 'v1');
    await cache.settled();
    await sleep(150);
    const refreshed: string[] = [];
    cache.on('refresh', (e) => refreshed.push(e.key));
    let loads = 0;
    const load = async () => {
      loads++;
      return 'v2';
    };
    expect(await cache.wrap('k', load)).toBe('v1'); // stale: its refresh first takes the guard
    await cache.close();
    expect(await cache.wrap('k', load)).toBe('v1'); // stale again, after close()
    await sleep(50);
    expect(loads).toBe(0);
    expect(refreshed).toEqual([]);
  });
});

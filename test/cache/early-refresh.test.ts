// XFetch early refresh, made deterministic: the entry's recorded load time is written with it,
// and Math.random is held at chosen values. A hit refreshes in the background when
// loadMs * beta * -ln(random) reaches the time the entry has left.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import type { RedisConnection } from '../../src/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { defaultLayout, sleep } from './helpers.js';

/** Writes `key` as an entry fresh for another `leftMs` after `now`, whose loader took `loadMs`. */
async function writeEntry(connection: RedisConnection, key: string, now: number, leftMs: number, loadMs: number): Promise<void> {
  const { entry } = defaultLayout(connection).of(key);
  await connection.send(['SET', entry, `${now + leftMs}|${loadMs}|v|0|"old"`, 'PX', 120_000], entry);
}

describe(`Cache early refresh on ${target} via ${driver}`, () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Whether a hit on an entry with `leftMs` left and `loadMs` of load time refreshes, with -ln(random) = `minusLn`. */
  async function refreshes(beta: number, leftMs: number, loadMs: number, minusLn: number): Promise<boolean> {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, earlyRefreshBeta: beta });
    // The cache's clock held still, so the time left is exactly leftMs.
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now);
    await writeEntry(connection, 'k', now, leftMs, loadMs);
    let refreshed = false;
    cache.on('refresh', () => {
      refreshed = true;
    });
    vi.spyOn(Math, 'random').mockReturnValue(Math.exp(-minusLn));
    expect(await cache.wrap('k', async () => 'new')).toBe('old');
    vi.restoreAllMocks();
    // A refresh first takes the load guard (a background command), then tells refresh.
    await cache.settled();
    await sleep(20);
    await cache.close();
    return refreshed;
  }

  it('refreshes once loadMs * beta * -ln(random) reaches the time left, not before', async () => {
    // 1000 ms of load time, beta 1, 50 s left: -ln(random) 100 gives 100 s (refresh), 0.01 gives 10 ms.
    expect(await refreshes(1, 50_000, 1000, 100)).toBe(true);
    expect(await refreshes(1, 50_000, 1000, 0.01)).toBe(false);
    // beta scales it: 2 × 1000 × 30 = 60 s reaches 50 s; 0.5 × 1000 × 30 = 15 s does not.
    expect(await refreshes(2, 50_000, 1000, 30)).toBe(true);
    expect(await refreshes(0.5, 50_000, 1000, 30)).toBe(false);
  });

  it('refreshes when it reaches the time left exactly', async () => {
    expect(Math.log(Math.exp(-1))).toBe(-1);
    expect(await refreshes(1, 1000, 1000, 1)).toBe(true);
  });

  it('never refreshes early with beta 0 (the default) or a loader that took no time', async () => {
    expect(await refreshes(0, 50_000, 1000, 1000)).toBe(false);
    expect(await refreshes(1, 50_000, 0, 1000)).toBe(false);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { Cache, CacheLoadTimeoutError, type LoaderContext } from '../../src/cache/index.js';
import { type RedisConnection, ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { keysOf } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pttl = async (connection: RedisConnection, key: string) => Number(await connection.send(['PTTL', key], key));
const exists = async (connection: RedisConnection, key: string) => Number(await connection.send(['EXISTS', key], key));

/** A loader that waits for its signal (or `ms`), recording what it saw. */
function abortable(ms = 10_000) {
  const seen: { aborted: boolean; reason: unknown }[] = [];
  const loader = async ({ signal }: LoaderContext) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        seen.push({ aborted: signal.aborted, reason: signal.reason });
        reject(signal.reason);
      });
    });
    return 'late';
  };
  return { loader, seen };
}

describe(`Cache loader context on ${target} via ${driver}`, () => {
  it('setTtl chooses the TTL from the value: "no slots today" for 1 s, a full day for 1 h', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 5000 });
    const slots = (n: number) => (ctx: LoaderContext) => {
      ctx.setTtl(n === 0 ? 1000 : 3_600_000);
      return { slots: n };
    };
    expect(await cache.wrap('slots:today', slots(0))).toEqual({ slots: 0 });
    expect(await cache.wrap('slots:tomorrow', slots(12), { tags: ['slots'] })).toEqual({ slots: 12 });
    await cache.settled(); // the stores, which the wraps did not wait for
    // The chosen TTL plus the grace period, whatever the call's ttlMs.
    const today = await pttl(connection, keysOf(connection, 'slots:today').entry);
    const tomorrow = await pttl(connection, keysOf(connection, 'slots:tomorrow').entry);
    expect(today).toBeGreaterThan(5000);
    expect(today).toBeLessThanOrEqual(6000);
    expect(tomorrow).toBeGreaterThan(3_600_000);
    expect(tomorrow).toBeLessThanOrEqual(3_605_000);
    // Fresh for 1 s, then stale (served, refreshed).
    expect(await cache.get('slots:today')).toEqual({ slots: 0 });
    await sleep(1100);
    expect(await cache.get('slots:today')).toBeUndefined();
    // For "not found" it is the negative entry's TTL.
    await cache.wrap('patient:none', ({ setTtl }) => {
      setTtl(700);
      return null;
    });
    await cache.settled();
    const negative = await pttl(connection, keysOf(connection, 'patient:none').entry);
    expect(negative).toBeGreaterThan(0);
    expect(negative).toBeLessThanOrEqual(700);
  });

  it('skip returns the value without caching it, and frees the load guard at once', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    let calls = 0;
    const loader = ({ skip }: LoaderContext) => {
      calls++;
      skip();
      return { degraded: true };
    };
    await cache.wrap('warm', async () => 1); // opens the connection's clients
    // Every script on every primary, and the warm entry's store (a script, not awaited) landed:
    // neither may fall back to EVAL inside the measured call.
    await connection.preload();
    await cache.get('warm');
    const { result, byCommand } = await countCommands(connection, () => cache.wrap('partial', loader));
    expect(result).toEqual({ degraded: true });
    // GET, the guard's SET NX, then only the guard's DEL: nothing stored.
    expect(byCommand).toEqual({ get: 1, set: 1, del: 1 });
    const keys = keysOf(connection, 'partial');
    expect(await exists(connection, keys.entry)).toBe(0);
    expect(await exists(connection, keys.guard)).toBe(0);
    expect(await cache.get('partial')).toBeUndefined();
    expect(await cache.wrap('partial', loader)).toEqual({ degraded: true });
    expect(calls).toBe(2);
  });

  it('skip in a background refresh keeps the stale entry until it expires', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 200, staleWhileRevalidateMs: 2000 });
    expect(await cache.wrap('s', async () => 'v1')).toBe('v1');
    await sleep(300);
    let refreshed = 0;
    expect(
      await cache.wrap('s', ({ skip }) => {
        refreshed++;
        skip();
        return 'v2';
      }),
    ).toBe('v1');
    await sleep(100);
    expect(refreshed).toBe(1);
    expect(await cache.wrap('s', async () => 'v3')).toBe('v1'); // still the stale one, refreshing again
    await sleep(100);
    expect(await cache.get('s')).toBe('v3');
  });

  it('loadTimeoutMs: the signal aborts with CacheLoadTimeoutError, the wrap rejects with it, nothing is stored', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, loadTimeoutMs: 300 });
    const { loader, seen } = abortable();
    const started = Date.now();
    const error = await cache.wrap('slow', loader).catch((e) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(CacheLoadTimeoutError);
    expect(error.code).toBe('CALL_TIMEOUT');
    expect(error.timeoutMs).toBe(300);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2500);
    expect(seen).toEqual([{ aborted: true, reason: error }]);
    const keys = keysOf(connection, 'slow');
    expect(await exists(connection, keys.entry)).toBe(0);
    // The guard is released, so the next caller (any instance) loads at once.
    expect(await exists(connection, keys.guard)).toBe(0);
    expect(await cache.wrap('slow', async () => 'fast')).toBe('fast');
  });

  it('loadTimeoutMs also bounds a loader that ignores its signal; its late value is never stored', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, loadTimeoutMs: 200 });
    const stubborn = () => sleep(500).then(() => 'late');
    await expect(cache.wrap('stubborn', stubborn)).rejects.toBeInstanceOf(CacheLoadTimeoutError);
    await sleep(500);
    expect(await cache.get('stubborn')).toBeUndefined();
  });

  it('loadTimeoutMs abandons a background refresh: refreshFailed, the old value stays', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 200, staleWhileRevalidateMs: 5000, loadTimeoutMs: 200 });
    const failures: unknown[] = [];
    cache.on('refreshFailed', ({ error }) => failures.push(error));
    expect(await cache.wrap('r', async () => 'v1')).toBe('v1');
    await sleep(300);
    const { loader, seen } = abortable();
    expect(await cache.wrap('r', loader)).toBe('v1');
    await sleep(500);
    expect(seen).toHaveLength(1);
    expect(failures).toEqual([seen[0]?.reason]);
    expect(failures[0]).toBeInstanceOf(CacheLoadTimeoutError);
    expect(await cache.wrap('r', async () => 'v2')).toBe('v1');
  });

  it('close() aborts the signal of a background refresh it abandons, and reports nothing', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 200, staleWhileRevalidateMs: 5000 });
    const failures: unknown[] = [];
    cache.on('refreshFailed', ({ error }) => failures.push(error));
    expect(await cache.wrap('c', async () => 'v1')).toBe('v1');
    await sleep(300);
    const { loader, seen } = abortable();
    expect(await cache.wrap('c', loader)).toBe('v1');
    await sleep(100); // the refresh has claimed its guard and called the loader
    await cache.close();
    await sleep(50);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.reason).toMatchObject({ name: 'AbortError', message: 'The cache stopped waiting for this load' });
    expect(failures).toEqual([]);
  });

  it('the first reason to abort wins: a refresh close() abandoned keeps its AbortError when loadTimeoutMs runs out later', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 200, staleWhileRevalidateMs: 5000, loadTimeoutMs: 500 });
    expect(await cache.wrap('first', async () => 'v1')).toBe('v1');
    await sleep(300);
    let started: () => void = () => {};
    const called = new Promise<void>((resolve) => {
      started = resolve;
    });
    let seen: unknown;
    const loader = async (ctx: LoaderContext) => {
      started();
      // Reads the signal only after both the close and the timeout.
      await sleep(2000);
      seen = ctx.signal.reason;
      return 'late';
    };
    expect(await cache.wrap('first', loader)).toBe('v1');
    await called;
    await cache.close();
    await vi.waitFor(() => expect(seen).toBeDefined(), { timeout: 10_000 });
    expect(seen).toMatchObject({ name: 'AbortError', message: 'The cache stopped waiting for this load' });
  });

  it('the signal is one object however often it is read, and a first read after the timeout sees it aborted', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, loadTimeoutMs: 200 });
    let early: AbortSignal | undefined;
    const again = cache.wrap('twice', async (ctx) => {
      early = ctx.signal;
      expect(ctx.signal).toBe(early);
      await sleep(2000);
      return 'late';
    });
    const error = await again.catch((e) => e);
    expect(error).toBeInstanceOf(CacheLoadTimeoutError);
    expect(early?.aborted).toBe(true);
    expect(early?.reason).toBe(error);
    let late: { aborted: boolean; reason: unknown } | undefined;
    const lazy = cache.wrap('lazy', async (ctx) => {
      await sleep(600);
      late = { aborted: ctx.signal.aborted, reason: ctx.signal.reason };
      return 'late';
    });
    const lazyError = await lazy.catch((e) => e);
    expect(lazyError).toBeInstanceOf(CacheLoadTimeoutError);
    await sleep(1500);
    expect(late).toEqual({ aborted: true, reason: lazyError });
  });

  it('without loadTimeoutMs the signal of an awaited load never aborts; a hit still costs one GET', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    let signal: AbortSignal | undefined;
    expect(
      await cache.wrap('patient', async (ctx) => {
        signal = ctx.signal;
        await sleep(300);
        return 'ok';
      }),
    ).toBe('ok');
    expect(signal?.aborted).toBe(false);
    await cache.settled(); // the miss's store, so no part of it lands in the count
    // A hit never calls the loader: still one GET.
    const { byCommand } = await countCommands(connection, () => cache.wrap('patient', () => 'unused'));
    expect(byCommand).toEqual({ get: 1 });
  });

  it('bad input: loadTimeoutMs is validated before anything is sent; a bad setTtl rejects the wrap and stores nothing', async () => {
    const connection = await testConnection();
    const { total } = await countCommands(connection, async () => {
      for (const loadTimeoutMs of [-1, 1.5, Number.NaN, '100']) {
        await expectInvalid(() => new Cache({ connection, ttlMs: 1000, loadTimeoutMs: loadTimeoutMs as number }), 'loadTimeoutMs');
      }
    });
    expect(total).toBe(0);
    const cache = new Cache({ connection, ttlMs: 60_000 });
    for (const ms of [0, -5, 1.5, Number.POSITIVE_INFINITY, '1000']) {
      await expectInvalid(() => cache.wrap(`bad:${String(ms)}`, ({ setTtl }) => setTtl(ms as number)), 'ttlMs');
    }
    expect(await cache.get('bad:0')).toBeUndefined();
    await expect(cache.wrap('bad', ({ setTtl }) => setTtl(0))).rejects.toBeInstanceOf(ValidationError);
  });
});

import { describe, expect, it } from 'vitest';
import { FixedWindowLimiter, TokenBucketLimiter } from '../../src/rate-limit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { algorithms, clearOfBoundary, rateLimitKeys, waitForPhase } from './algorithms.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

describe.each(algorithms)(`$name with several limits on ${target} via ${driver}`, (algo) => {
  it('is all or nothing: a request the second limit rejects takes nothing from the first', async () => {
    const connection = await testConnection();
    // Epoch-aligned windows (fixed, sliding counter): every check counts in the same minute.
    await clearOfBoundary(connection, MINUTE);
    const both = algo.make(connection, [
      [5, MINUTE],
      [3, HOUR],
    ]);
    for (let i = 0; i < 3; i++) expect((await both.check('patient')).allowed).toBe(true);
    const { result: rejected, byCommand } = await countCommands(connection, () => both.check('patient'));
    expect(byCommand.evalsha).toBe(1); // both limits in one script call (one slot: one hash tag)
    expect(rejected.allowed).toBe(false);
    expect(rejected.limits.map((l) => [l.limit, l.remaining])).toEqual([
      [5, 2],
      [3, 0],
    ]);
    // The result speaks of the limit that rejected.
    expect(rejected.limit).toBe(3);
    expect(rejected.retryAfterMs).toBe(rejected.limits[1]?.retryAfterMs);
    expect(rejected.retryAfterMs).toBeGreaterThan(0);
    // The first limit alone (same name, same key) confirms nothing was taken from it.
    const first = algo.make(connection, [[5, MINUTE]]);
    expect((await first.peek('patient')).remaining).toBe(2);
  });

  it('a limit added to a running limiter starts empty: a check the old count rejects leaves no key for it', async () => {
    const connection = await testConnection();
    await clearOfBoundary(connection, MINUTE);
    // Before the deploy: one limit, used up.
    const before = algo.make(connection, [[2, HOUR]]);
    await before.check('patient', { cost: 2 });
    const [old] = await rateLimitKeys(connection);
    // After it: a second limit, same name, so the first keeps its key and its count.
    const after = algo.make(connection, [
      [2, HOUR],
      [10, MINUTE],
    ]);
    const rejected = await after.check('patient');
    expect(rejected.allowed).toBe(false);
    // The new limit took nothing: whole, and nothing stored for it.
    expect(rejected.limits[1]).toMatchObject({ remaining: 10, resetMs: 0, retryAfterMs: 0 });
    expect(await rateLimitKeys(connection)).toEqual([old]);
  });

  it('reports the tightest limit when allowed', async () => {
    const connection = await testConnection();
    const both = algo.make(connection, [
      [10, MINUTE],
      [4, HOUR],
    ]);
    const r = await both.check('x', { cost: 2 });
    expect(r.allowed).toBe(true);
    expect([r.limit, r.remaining]).toEqual([4, 2]);
    expect(r.limits.map((l) => l.remaining)).toEqual([8, 2]);
  });

  it('counts 1000 concurrent requests exactly against two limits', async () => {
    const connection = await testConnection();
    await clearOfBoundary(connection, HOUR);
    const both = algo.make(connection, [
      [100, HOUR],
      [150, 2 * HOUR],
    ]);
    const results = await Promise.all(Array.from({ length: 1000 }, () => both.check('crowd')));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
    expect((await both.peek('crowd')).limits.map((l) => l.remaining)).toEqual([0, 50]);
  });
});

describe(`rate-limit result of several limits on ${target} via ${driver}`, () => {
  it('between limits with as many units left, speaks of the one that is full again last, whatever their order', async () => {
    const connection = await testConnection();
    const perMinute = { capacity: 5, refillRate: 5, refillIntervalMs: MINUTE };
    const perSecond = { capacity: 5, refillRate: 5, refillIntervalMs: 1000 };
    for (const limits of [
      [perMinute, perSecond],
      [perSecond, perMinute],
    ]) {
      const bucket = new TokenBucketLimiter({ connection, name: `order-${limits[0]?.refillIntervalMs}`, limits });
      const result = await bucket.check('client');
      expect(result.limits.map((l) => l.remaining)).toEqual([4, 4]);
      expect(result.windowMs).toBe(MINUTE);
      expect(result.resetMs).toBeGreaterThan(1000); // a token every 12 s
    }
  });

  it('between limits tied on units left and reset, or on the wait of a rejection, speaks of the first configured', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({
      connection,
      limits: [
        { limit: 5, windowMs: 2000 },
        { limit: 6, windowMs: 4000 },
      ],
    });
    // Windows are aligned on Redis's clock: one request early in a 4 s window, the next in its
    // second half, where the new 2 s window ends with it; each 1.8 s before a boundary.
    await waitForPhase(connection, 4000, 0.05);
    await limiter.check('client');
    await waitForPhase(connection, 4000, 0.55);
    const tied = await limiter.check('client');
    expect(tied.limits.map((l) => [l.remaining, l.resetMs])).toEqual([
      [4, tied.limits[0]?.resetMs],
      [4, tied.limits[0]?.resetMs],
    ]);
    expect([tied.limit, tied.windowMs]).toEqual([5, 2000]);
    expect((await limiter.check('client', { cost: 4 })).allowed).toBe(true);
    const rejected = await limiter.check('client');
    expect(rejected.allowed).toBe(false);
    expect(rejected.limits[1]?.retryAfterMs).toBe(rejected.limits[0]?.retryAfterMs);
    expect([rejected.limit, rejected.windowMs]).toEqual([5, 2000]);
  });
});

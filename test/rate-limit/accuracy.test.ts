import { describe, expect, it } from 'vitest';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { algorithms, rateLimitKeys } from './algorithms.js';

const HOUR = 3_600_000;

describe.each(algorithms)(`$name on ${target} via ${driver}`, (algo) => {
  it('lets exactly 100 of 1000 concurrent requests through a limit of 100', async () => {
    const connection = await testConnection();
    const limiter = algo.make(connection, [[100, HOUR]]);
    const results = await Promise.all(Array.from({ length: 1000 }, () => limiter.check('patient:1')));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
    const rejected = results.filter((r) => !r.allowed);
    expect(rejected.every((r) => r.remaining === 0 && r.retryAfterMs > 0 && r.source === 'redis')).toBe(true);
    // The allowed ones saw every count from 99 down to 0 exactly once.
    const remaining = results.filter((r) => r.allowed).map((r) => r.remaining);
    expect(new Set(remaining).size).toBe(100);
    // Another identity is untouched.
    expect((await limiter.peek('patient:2')).remaining).toBe(100);
  });

  it('checks with one EVALSHA that reads TIME, rejected or not', async () => {
    const connection = await testConnection();
    const limiter = algo.make(connection, [[2, HOUR]]);
    await limiter.check('a'); // loads the script (NOSCRIPT fallback) outside the count
    for (const expected of [true, false]) {
      const { result, byCommand } = await countCommands(connection, () => limiter.check('a'));
      expect(result.allowed).toBe(expected);
      expect(byCommand.evalsha).toBe(1);
      expect(byCommand.time).toBe(1);
      expect(byCommand.eval).toBeUndefined();
    }
    for (const op of [() => limiter.peek('a'), () => limiter.penalty('a', 1), () => limiter.reward('a', 1)]) {
      const { byCommand } = await countCommands(connection, op);
      expect(byCommand.evalsha).toBe(1);
    }
    const { byCommand, total } = await countCommands(connection, () => limiter.reset('a'));
    expect(byCommand).toEqual({ del: 1 });
    expect(total).toBe(1);
  });

  it('takes cost units, takes nothing when it rejects, and peeks without taking', async () => {
    const connection = await testConnection();
    const limiter = algo.make(connection, [[10, HOUR]]);
    expect((await limiter.check('p', { cost: 4 })).remaining).toBe(6);
    expect((await limiter.peek('p', { cost: 6 })).allowed).toBe(true);
    expect((await limiter.peek('p')).remaining).toBe(6);
    const rejected = await limiter.check('p', { cost: 7 });
    expect(rejected.allowed).toBe(false);
    expect(rejected.remaining).toBe(6);
    expect((await limiter.check('p', { cost: 6 })).allowed).toBe(true);
    expect((await limiter.check('p')).allowed).toBe(false);
  });

  it('counts every unit of concurrent multi-unit checks', async () => {
    const connection = await testConnection();
    const limiter = algo.make(connection, [[1000, HOUR]]);
    // Back to back in Redis, so the sliding log's per-unit scores of one call run into the next call's.
    const results = await Promise.all(Array.from({ length: 50 }, () => limiter.check('bulk', { cost: 20 })));
    expect(results.every((r) => r.allowed)).toBe(true);
    expect((await limiter.peek('bulk')).remaining).toBe(0);
    expect((await limiter.check('bulk')).allowed).toBe(false);
  });

  it('batches concurrent checks of several limiters and identities, each with its own limits', async () => {
    const connection = await testConnection();
    // Same algorithm and arity: one script, so their checks share batches with different limits.
    const five = algo.make(connection, [[5, HOUR]], { name: 'five' });
    const ten = algo.make(connection, [[10, HOUR]], { name: 'ten' });
    // Two limits: another arity, so another script and its own batches.
    const pair = algo.make(connection, [
      [3, HOUR],
      [100, HOUR],
    ]);
    for (const l of [five, ten, pair]) await l.peek('warm-up'); // loads the scripts outside the count
    const identities = ['a', 'b', 'c'];
    const { result, byCommand } = await countCommands(connection, () =>
      Promise.all(
        identities.flatMap((id) => [
          ...Array.from({ length: 20 }, () => five.check(id)),
          ...Array.from({ length: 20 }, () => ten.check(id)),
          ...Array.from({ length: 20 }, () => pair.check(id)),
        ]),
      ),
    );
    for (let i = 0; i < identities.length; i++) {
      const mine = result.slice(i * 60, (i + 1) * 60);
      expect(mine.slice(0, 20).filter((r) => r.allowed)).toHaveLength(5);
      expect(mine.slice(20, 40).filter((r) => r.allowed)).toHaveLength(10);
      expect(mine.slice(40).filter((r) => r.allowed)).toHaveLength(3);
      expect(mine.slice(40).every((r) => r.limits.length === 2)).toBe(true);
    }
    // 180 checks in batches of at most 16: far fewer EVALSHAs than checks, and TIME once per batch.
    const calls = byCommand.evalsha ?? 0;
    expect(calls).toBeLessThan(180);
    expect(calls).toBeGreaterThanOrEqual(target === 'cluster' ? 3 * 3 : Math.ceil(120 / 16) + Math.ceil(60 / 16));
    expect(byCommand.time).toBe(calls);
  });

  it('applies penalty and reward, and reset forgets everything', async () => {
    const connection = await testConnection();
    const limiter = algo.make(connection, [[10, HOUR]]);
    await limiter.check('u');
    expect((await limiter.penalty('u', 3)).remaining).toBe(6);
    expect((await limiter.reward('u', 2)).remaining).toBe(8);
    // A penalty may go past the limit: the identity then waits longer.
    const over = await limiter.penalty('u', 15);
    expect(over.remaining).toBe(0);
    expect(over.allowed).toBe(false);
    expect((await limiter.check('u')).allowed).toBe(false);
    await limiter.reset('u');
    expect((await limiter.check('u')).remaining).toBe(9);
  });

  it('a fresh identity peeks whole; taking the last units fits with no wait; a reward of all of them makes the limit whole again, leaving no key', async () => {
    const connection = await testConnection();
    const limiter = algo.make(connection, [[5, HOUR]]);
    // Nothing used: whole now (resetMs 0), and a peek writes nothing.
    expect(await limiter.peek('fresh')).toMatchObject({ allowed: true, remaining: 5, resetMs: 0, retryAfterMs: 0 });
    expect(await rateLimitKeys(connection)).toEqual([]);
    // The check that takes the last units fits exactly: allowed, nothing left, no wait reported.
    const last = await limiter.check('r', { cost: 5 });
    expect(last).toMatchObject({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(last.resetMs).toBeGreaterThan(0);
    // Used back to exactly 0: as if nothing had been taken.
    expect(await limiter.reward('r', 5)).toMatchObject({ remaining: 5, resetMs: 0, retryAfterMs: 0 });
    // Stored counts are never 0; the sliding counter keeps its hash, whose previous-window count may still weigh.
    if (algo.name !== 'sliding counter') expect(await rateLimitKeys(connection)).toEqual([]);
    expect(await limiter.peek('r', { cost: 5 })).toMatchObject({ allowed: true, remaining: 5, resetMs: 0 });
  });

  it('gives a key its TTL at the first unit taken: one check and nothing after it still leaves no key behind', async () => {
    const connection = await testConnection();
    const limiter = algo.make(connection, [[5, 10_000]]);
    expect((await limiter.check('once')).allowed).toBe(true);
    const keys = await rateLimitKeys(connection);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const ttl = Number(await connection.send(['PTTL', key], key));
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(2 * 10_000);
    }
  });

  it('gives every key it writes a TTL no longer than its window, and keeps state bounded', async () => {
    const connection = await testConnection();
    // A 10 s window: long enough that no key can expire between its write and the PTTL read on a loaded machine.
    const limiter = algo.make(connection, [
      [5, 10_000],
      [50, HOUR],
    ]);
    await Promise.all(Array.from({ length: 200 }, (_, i) => limiter.check(`id-${i % 4}`)));
    await limiter.penalty('id-0', 2);
    await limiter.reward('id-1', 1);
    const keys = await rateLimitKeys(connection);
    // 4 identities x 2 limits whatever the traffic.
    expect(keys.filter((k) => k.endsWith('1'))).toHaveLength(4);
    expect(keys.length).toBeLessThanOrEqual(8);
    for (const key of keys) {
      const ttl = Number(await connection.send(['PTTL', key], key));
      expect(ttl, key).toBeGreaterThan(0);
      // At most two windows: the counter keeps a window's count through the next one.
      expect(ttl, key).toBeLessThanOrEqual(2 * (key.endsWith('0') ? 10_000 : HOUR));
      // The sliding log keeps one entry per unit taken: never more than the limit (plus a penalty).
      if (algo.name === 'sliding log') expect(Number(await connection.send(['ZCARD', key], key))).toBeLessThanOrEqual(7);
    }
  });
});

import { describe, expect, it } from 'vitest';
import {
  FixedWindowLimiter,
  GcraLimiter,
  type RateLimitResult,
  SlidingWindowCounterLimiter,
  SlidingWindowLogLimiter,
  TokenBucketLimiter,
} from '../../src/rate-limit/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { serverMs, waitForPhase } from './algorithms.js';

const WINDOW = 2000;
const LIMIT = 10;

const burst = (limiter: { check(id: string): Promise<{ allowed: boolean }> }, n: number) =>
  Promise.all(Array.from({ length: n }, () => limiter.check('client'))).then((rs) => rs.filter((r) => r.allowed).length);

describe(`window behaviour on ${target} via ${driver}`, () => {
  it('fixed window admits a double burst around a boundary; the sliding log does not; the counter cuts it', async () => {
    const connection = await testConnection();
    const options = { connection, limit: LIMIT, windowMs: WINDOW };
    const fixed = new FixedWindowLimiter(options);
    const log = new SlidingWindowLogLimiter(options);
    const counter = new SlidingWindowCounterLimiter(options);
    // The last quarter of a window: every limiter gives its whole limit.
    await waitForPhase(connection, WINDOW, 0.75);
    expect(await Promise.all([burst(fixed, LIMIT), burst(log, LIMIT), burst(counter, LIMIT)])).toEqual([LIMIT, LIMIT, LIMIT]);
    // Just after the boundary, well within one window length of the first burst.
    await waitForPhase(connection, WINDOW, 0.1);
    const [f, l, c] = await Promise.all([burst(fixed, LIMIT), burst(log, LIMIT), burst(counter, LIMIT)]);
    const phase = ((await serverMs(connection)) % WINDOW) / WINDOW;
    expect(f).toBe(LIMIT); // 2 x limit within ~0.35 of a window
    expect(l).toBe(0);
    // The counter still weighs the previous window by (1 - phase): only phase x limit more fit.
    expect(c).toBeLessThanOrEqual(Math.ceil(LIMIT * phase));
    // The log tells when the first burst leaves the window: about 0.65 of a window from now.
    const retry = (await log.peek('client')).retryAfterMs;
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(WINDOW);
  });

  it('sliding log: a lone unit makes the log whole again exactly windowMs after it was taken', async () => {
    const connection = await testConnection();
    const log = new SlidingWindowLogLimiter({ connection, limit: LIMIT, windowMs: WINDOW });
    // The unit is scored at the check's Redis time, so the answer is exact whatever the load.
    expect(await log.check('c')).toMatchObject({ allowed: true, remaining: LIMIT - 1, resetMs: WINDOW });
    const later = await log.peek('c');
    expect(later.resetMs).toBeGreaterThan(0);
    expect(later.resetMs).toBeLessThanOrEqual(WINDOW);
  });

  it('sliding log: the key lives until its newest unit leaves the window', async () => {
    const connection = await testConnection();
    const log = new SlidingWindowLogLimiter({ connection, limit: LIMIT, windowMs: WINDOW });
    const key = connection.keys('rate-limit').key('c', 'sliding-log', 'sl0');
    for (const cost of [1, 2, 3]) {
      await log.check('c', { cost });
      // Scores are Redis time in microseconds: the newest unit counts until score / 1000 + WINDOW ms.
      const [, newest] = (await connection.send(['ZRANGE', key, '-1', '-1', 'WITHSCORES'], key)) as string[];
      const expiresAt = Number(await connection.send(['PEXPIRETIME', key], key));
      // The expiry is whole ms from the script's clock, which may read the millisecond before TIME's: 1 ms of slack.
      expect(expiresAt + 1, `cost ${cost}`).toBeGreaterThanOrEqual(Number(newest) / 1000 + WINDOW);
    }
  });

  it('sliding window counter estimates previous x (1 - elapsed) + current', async () => {
    const connection = await testConnection();
    const counter = new SlidingWindowCounterLimiter({ connection, limit: 100, windowMs: WINDOW });
    await waitForPhase(connection, WINDOW, 0.6);
    await counter.check('c', { cost: 60 });
    await waitForPhase(connection, WINDOW, 0.5); // the next window, half way
    await counter.check('c', { cost: 10 });
    const before = await serverMs(connection);
    const peek = await counter.peek('c');
    const after = await serverMs(connection);
    // Documented estimate: remaining = floor(100 - 60 x (1 - phase) - 10), phase read by Redis between before and after.
    const at = (ms: number) => Math.floor(100 - 60 * (1 - (ms % WINDOW) / WINDOW) - 10);
    expect(peek.remaining).toBeGreaterThanOrEqual(at(before));
    expect(peek.remaining).toBeLessThanOrEqual(at(after));
    // retryAfterMs is when the estimate leaves room: a request of 84 fits once 60 x (1 - phase) <= 6, at phase 0.9.
    const fitsAt = Math.floor(after / WINDOW) * WINDOW + 0.9 * WINDOW;
    const b2 = await serverMs(connection);
    const wait = (await counter.peek('c', { cost: 84 })).retryAfterMs;
    const a2 = await serverMs(connection);
    expect(wait).toBeGreaterThanOrEqual(fitsAt - a2);
    expect(wait).toBeLessThanOrEqual(fitsAt - b2 + 1);
  });

  it('sliding window counter: resetMs and retryAfterMs follow the weighted previous window, and the next one when the current is too full', async () => {
    const connection = await testConnection();
    const counter = new SlidingWindowCounterLimiter({ connection, limit: LIMIT, windowMs: WINDOW });
    await waitForPhase(connection, WINDOW, 0.5);
    expect((await counter.check('c', { cost: LIMIT })).allowed).toBe(true);
    // The next window, a quarter in: previous 10 weighs 7.5, current 0.
    await waitForPhase(connection, WINDOW, 0.25);
    const timed = async (op: () => Promise<RateLimitResult>) => {
      const from = await serverMs(connection);
      const result = await op();
      const to = await serverMs(connection);
      const start = Math.floor(from / WINDOW) * WINDOW; // this window's start
      expect(Math.floor(to / WINDOW) * WINDOW, 'still in the same window').toBe(start);
      // A time `phase` of the way into a window (after this one when phase > 1), as ms from now: within [from, to].
      const wait = (phase: number) => ({ min: start + phase * WINDOW - to - 1, max: start + phase * WINDOW - from + 1 });
      return { result, wait };
    };
    const expectWithin = (value: number, { min, max }: { min: number; max: number }) => {
      expect(value).toBeGreaterThanOrEqual(min);
      expect(value).toBeLessThanOrEqual(max);
    };
    // Nothing counted in this window: whole again when the previous window stops weighing, at its end.
    const whole = await timed(() => counter.peek('c', { cost: LIMIT }));
    expect(whole.result.allowed).toBe(false);
    expectWithin(whole.result.resetMs, whole.wait(1));
    // The whole limit fits only once the previous window weighs nothing: at this window's end.
    expectWithin(whole.result.retryAfterMs, whole.wait(1));
    // 7 fit once 10 x (1 - phase) <= 3: at phase 0.7.
    const seven = await timed(() => counter.peek('c', { cost: 7 }));
    expect(seven.result.allowed).toBe(false);
    expectWithin(seven.result.retryAfterMs, seven.wait(0.7));
    // 5 counted in this window (a penalty): 6 more cannot fit in it, however light the previous gets.
    await counter.penalty('c', 5);
    const six = await timed(() => counter.peek('c', { cost: 6 }));
    expect(six.result.allowed).toBe(false);
    // Whole again when this window's 5 stop weighing, at the next window's end.
    expectWithin(six.result.resetMs, six.wait(2));
    // In the next window these 5 weigh 5 x (1 - phase): 6 fit once that is <= 4, at phase 0.2 of it.
    expectWithin(six.result.retryAfterMs, six.wait(1.2));
  });

  it('token bucket refills at the stated fractional rate', async () => {
    const connection = await testConnection();
    // 2.5 tokens per 250 ms = 10 per second, bursts of 10.
    const bucket = new TokenBucketLimiter({ connection, capacity: 10, refillRate: 2.5, refillIntervalMs: 250 });
    expect(await burst(bucket, 12)).toBe(10);
    const drained = await bucket.peek('client');
    expect(drained.allowed).toBe(false);
    expect(drained.retryAfterMs).toBeGreaterThan(0);
    expect(drained.retryAfterMs).toBeLessThanOrEqual(100); // one token every 100 ms
    const key = connection.keys('rate-limit').key('client', 'token-bucket', 'tb0');
    // State: when the bucket is full again (Redis ms); it gains a token every 100 ms until then.
    const fullAt = Number(await connection.send(['GET', key], key));
    expect(fullAt).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 450));
    const before = await serverMs(connection);
    const { remaining } = await bucket.peek('client');
    const after = await serverMs(connection);
    const tokensAt = (ms: number) => Math.min(10, Math.floor(10 - Math.max(0, fullAt - ms) / 100 + 1e-9));
    expect(remaining).toBeGreaterThanOrEqual(tokensAt(before));
    expect(remaining).toBeLessThanOrEqual(tokensAt(after));
    expect(remaining).toBeGreaterThanOrEqual(4);
    // A full bucket needs no state: the key expires when it would be full again.
    const ttl = Number(await connection.send(['PTTL', key], key));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
  });

  it('GCRA keeps each limit of an identity under its own stored key, expiring once the burst is back', async () => {
    const connection = await testConnection();
    const gcra = new GcraLimiter({
      connection,
      name: 'sms',
      limits: [
        { limit: 2, periodMs: 1000 },
        { limit: 10, periodMs: 60_000 },
      ],
    });
    await gcra.check('client');
    // The key names are stored state: other processes and later versions must find the same ones.
    for (const [i, periodMs] of [1000, 60_000].entries()) {
      const key = connection.keys('rate-limit').key('client', 'sms', `gcra${i}`);
      const ttl = Number(await connection.send(['PTTL', key], key));
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(periodMs);
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/index.js';
import { type RateLimiter, SlidingWindowCounterLimiter, SlidingWindowLogLimiter } from '../../src/rate-limit/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { serverMs } from './algorithms.js';
import { counterModel, logModel, resetBetween, type Span, usedBetween, type WindowModel } from './timeline.js';

const LIMIT = 4;
const WINDOW = 2000;
// One check every STEP ms for 4.8 s: the limit is reached within a second and stays reached,
// so every later admission needs units that aged out while the key lived. 300 does not divide
// the window, so checks land at many distances (at least ~100 ms) from the moments units age out.
const STEP = 300;
const STEPS = 16;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Case {
  limiter: RateLimiter;
  /** The limiter's Redis key for the client. */
  key: string;
  model: WindowModel;
  /** The sliding log's retryAfterMs is exact: when the oldest unit still counted leaves. */
  exactRetry?: boolean;
}

/**
 * Steady traffic from one client, each answer checked against the model at the Redis time
 * of the call. Returns how many checks were admitted and how many the model pinned exactly.
 */
async function steadyTraffic(connection: RedisConnection, { limiter, key, model, exactRetry }: Case) {
  const taken: Span[] = [];
  let admitted = 0;
  let exact = 0;
  let aliveUntil = Number.NaN; // no key before the first admission
  const start = Date.now();
  for (let i = 0; i < STEPS; i++) {
    await sleep(start + i * STEP - Date.now());
    const from = await serverMs(connection);
    const result = await limiter.check('client');
    const now = { from, to: await serverMs(connection) };
    const step = `step ${i} at ${now.from - (taken[0]?.from ?? now.from)} ms`;
    // The key never expired: the check ran before the earliest moment it could have.
    if (taken.length > 0) expect(now.to, `${step}: key alive`).toBeLessThan(aliveUntil);
    const { min, max } = usedBetween(model, taken, now);
    // A weighted estimate is a multiple of 1/WINDOW away from a whole number unless it is one,
    // and then the script's arithmetic is exact too: no slack needed beyond the script's own.
    const fits = max + 1 <= LIMIT;
    const full = min + 1 > LIMIT;
    if (fits) expect(result.allowed, `${step}: at most ${max} units still count`).toBe(true);
    if (full) expect(result.allowed, `${step}: at least ${min} units still count`).toBe(false);
    const plus = result.allowed ? 1 : 0;
    const low = Math.max(0, Math.floor(LIMIT - max - plus + 1e-9));
    const high = Math.max(0, Math.floor(LIMIT - min - plus + 1e-9));
    expect(result.remaining, step).toBeGreaterThanOrEqual(low);
    expect(result.remaining, step).toBeLessThanOrEqual(high);
    if (low === high && (fits || full)) exact++;
    if (result.allowed) {
      admitted++;
      taken.push(now);
    } else if (exactRetry && min === LIMIT && max === LIMIT) {
      // The oldest unit still counted leaves the log exactly WINDOW ms after it was taken, not before.
      const oldest = taken[taken.length - LIMIT] as Span;
      expect(result.retryAfterMs, step).toBeGreaterThanOrEqual(Math.max(1, oldest.from + WINDOW - now.to - 1));
      expect(result.retryAfterMs, step).toBeLessThanOrEqual(oldest.to + 1 + WINDOW - now.from);
    }
    // Whole again once the newest unit stops counting.
    const reset = resetBetween(model, taken, now);
    expect(result.resetMs, step).toBeGreaterThanOrEqual(reset.min);
    expect(result.resetMs, step).toBeLessThanOrEqual(reset.max);
    const at = await serverMs(connection);
    const pttl = Number(await connection.send(['PTTL', key], key));
    if (taken.length > 0) expect(pttl, `${step}: key has a TTL`).toBeGreaterThan(0);
    aliveUntil = at + pttl;
  }
  return { admitted, exact };
}

describe(`units aging out of a live sliding window on ${target} via ${driver}`, () => {
  it('sliding log: each unit frees up exactly windowMs after it was taken, while steady traffic keeps the key alive', async () => {
    const connection = await testConnection();
    const limiter = new SlidingWindowLogLimiter({ connection, limit: LIMIT, windowMs: WINDOW });
    const key = connection.keys('rate-limit').key('client', 'sliding-log', 'sl0');
    const { admitted, exact } = await steadyTraffic(connection, { limiter, key, model: logModel(WINDOW), exactRetry: true });
    // Without aging only LIMIT could pass while the key lives; here LIMIT more in every window after the first.
    expect(admitted).toBeGreaterThanOrEqual(2 * LIMIT);
    // Most answers were pinned to one value, not merely within bounds.
    expect(exact).toBeGreaterThanOrEqual(STEPS / 2);
  });

  it('sliding counter: the previous window weighs less as the window slides and nothing two windows back, key alive', async () => {
    const connection = await testConnection();
    const limiter = new SlidingWindowCounterLimiter({ connection, limit: LIMIT, windowMs: WINDOW });
    const key = connection.keys('rate-limit').key('client', 'sliding-counter', 'sc0');
    const { admitted, exact } = await steadyTraffic(connection, { limiter, key, model: counterModel(WINDOW) });
    expect(admitted).toBeGreaterThan(LIMIT);
    expect(exact).toBeGreaterThanOrEqual(STEPS / 2);
  });
});

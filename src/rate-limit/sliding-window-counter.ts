import { type AlgorithmSpec, RateLimiter } from './limiter.js';
import source from './scripts/sliding-counter.lua';
import { type WindowLimit, type WindowLimiterOptions, windowSpec } from './window-limit.js';

const ALGORITHM: AlgorithmSpec = { name: 'sliding-counter', keyCode: 'sc', scriptName: 'sliding-counter', source };

/**
 * Sliding window counter: the current window's count plus the previous window's count
 * weighted by how much of it the sliding window still covers. O(1) memory (one small hash
 * per identity and limit) and no boundary burst; exact when the previous window's
 * requests were spread evenly, otherwise it can admit more than `limit` within one
 * sliding window (bounded by what a fixed window admits). See docs/rate-limit.md for the
 * error measured here.
 *
 * @example
 * const api = new SlidingWindowCounterLimiter({ connection, name: 'api', limits: [{ limit: 10, windowMs: 1000 }, { limit: 1000, windowMs: 86_400_000 }] });
 */
export class SlidingWindowCounterLimiter extends RateLimiter<WindowLimit> {
  constructor(options: WindowLimiterOptions) {
    super(ALGORITHM, options, windowSpec);
  }
}

import { type AlgorithmSpec, RateLimiter } from './limiter.js';
import source from './scripts/sliding-log.lua';
import { type WindowLimit, type WindowLimiterOptions, windowSpec } from './window-limit.js';

const ALGORITHM: AlgorithmSpec = { name: 'sliding-log', keyCode: 'sl', scriptName: 'sliding-log', source };

/**
 * Sliding window log: one sorted-set entry per unit taken, so no window of `windowMs`,
 * wherever it starts, ever holds more than `limit` units. Exact, at the price of memory
 * proportional to the limit (about 50-60 bytes per entry): the choice for small limits
 * that must hold exactly (failed logins, password resets).
 *
 * @example
 * const logins = new SlidingWindowLogLimiter({ connection, name: 'failed-logins', limit: 5, windowMs: 15 * 60_000, onOutage: 'closed' });
 */
export class SlidingWindowLogLimiter extends RateLimiter<WindowLimit> {
  constructor(options: WindowLimiterOptions) {
    super(ALGORITHM, options, windowSpec);
  }
}

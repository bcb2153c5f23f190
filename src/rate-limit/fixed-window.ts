import { type AlgorithmSpec, RateLimiter } from './limiter.js';
import source from './scripts/fixed-window.lua';
import { type WindowLimit, type WindowLimiterOptions, windowSpec } from './window-limit.js';

const ALGORITHM: AlgorithmSpec = { name: 'fixed-window', keyCode: 'fw', scriptName: 'fixed-window', source };

/**
 * Fixed window: a counter per window, windows aligned to the epoch. The cheapest
 * algorithm (one small string per identity and limit), but a client can spend a whole
 * limit at the end of one window and another at the start of the next: up to twice the
 * limit within one window length around a boundary.
 *
 * @example
 * const limiter = new FixedWindowLimiter({ connection, name: 'messages', limit: 20, windowMs: 60_000 });
 * const { allowed, retryAfterMs } = await limiter.check(`patient:${id}`);
 */
export class FixedWindowLimiter extends RateLimiter<WindowLimit> {
  constructor(options: WindowLimiterOptions) {
    super(ALGORITHM, options, windowSpec);
  }
}

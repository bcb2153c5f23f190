/**
 * Rate limiters on Redis: fixed window, sliding window log, sliding window counter, token
 * bucket and GCRA. Every check is one script call that reads Redis `TIME`, sets a TTL on
 * every key it writes and takes nothing when it rejects; several limits of one limiter are
 * checked atomically. Plus the standard headers and a middleware for Express and Fastify.
 *
 * @packageDocumentation
 */

export { FixedWindowLimiter } from './fixed-window.js';
export { type GcraLimit, GcraLimiter, type GcraOptions } from './gcra.js';
export { rateLimitHeaders } from './headers.js';
export {
  type AlgorithmSpec,
  type CheckOptions,
  type LimitSpec,
  type OneOrMoreLimits,
  type OutagePolicy,
  RateLimiter,
  type RateLimiterOptions,
} from './limiter.js';
export { type RateLimitMiddlewareOptions, type RequestLike, rateLimitMiddleware } from './middleware.js';
export type { LimitStatus, RateLimitResult, ResultSource } from './result.js';
export { SlidingWindowCounterLimiter } from './sliding-window-counter.js';
export { SlidingWindowLogLimiter } from './sliding-window-log.js';
export { type BucketLimit, TokenBucketLimiter, type TokenBucketOptions } from './token-bucket.js';
export type { WindowLimit, WindowLimiterOptions } from './window-limit.js';

/**
 * Rate limiters on Redis: fixed window, sliding window log, sliding window counter, token
 * bucket and GCRA. Every check is one script call that reads Redis `TIME`, sets a TTL on
 * every key it writes and takes nothing when it rejects; several limits of one limiter are
 * checked atomically. Per-call limits, allow and deny lists, an in-process insurance limiter
 * for outages and `waitFor` for clients that throttle themselves. Plus the standard headers,
 * middleware for Express, Fastify, Hono and Koa, and Redis stores for express-rate-limit,
 * @fastify/rate-limit and @nestjs/throttler.
 *
 * @packageDocumentation
 */

export type { IdentityList } from './access-lists.js';
export {
  type ClientRateLimitInfo,
  type ExpressRateLimitInitOptions,
  ExpressRateLimitStore,
  type ExpressRateLimitStoreOptions,
} from './adapters/express-rate-limit.js';
export {
  type FastifyRateLimitParams,
  type FastifyRateLimitRedisStore,
  type FastifyRateLimitStoreOptions,
  type FastifyStoreCallback,
  fastifyRateLimitStore,
} from './adapters/fastify-rate-limit.js';
export { type HonoContextLike, honoRateLimit } from './adapters/hono.js';
export { type KoaContextLike, koaRateLimit } from './adapters/koa.js';
export { NestThrottlerStorage, type NestThrottlerStorageOptions, type ThrottlerStorageRecord } from './adapters/nest-throttler.js';
export { FixedWindowLimiter } from './fixed-window.js';
export { type GcraLimit, GcraLimiter, type GcraOptions } from './gcra.js';
export { type RateLimitHeadersOptions, rateLimitHeaders, type StandardHeaders } from './headers.js';
export type { HitCounterOptions } from './hit-counter.js';
export type { RateLimitMiddlewareOptions } from './http-gate.js';
export type { InsuranceOptions } from './insurance.js';
export {
  type AlgorithmSpec,
  type CheckOptions,
  type FailurePolicy,
  type ForceOptions,
  type LimitSpec,
  MAX_WAIT_MS,
  type OneOrMoreLimits,
  type OutageEvent,
  type OutagePolicy,
  type OutOfMemoryEvent,
  RateLimiter,
  type RateLimiterEvents,
  type RateLimiterOptions,
  type ToSpec,
  type WaitForOptions,
} from './limiter.js';
export { type RequestLike, rateLimitMiddleware } from './middleware.js';
export type { LimitStatus, RateLimitResult, ResultSource } from './result.js';
export { SlidingWindowCounterLimiter } from './sliding-window-counter.js';
export { SlidingWindowLogLimiter } from './sliding-window-log.js';
export { type BucketLimit, TokenBucketLimiter, type TokenBucketOptions } from './token-bucket.js';
export type { WindowLimit, WindowLimiterOptions } from './window-limit.js';

import { ValidationError } from '../../core/errors.js';
import { assertPositiveInteger } from '../../core/validation.js';
import { HitCounter, type HitCounterOptions, type Hits, type OverMode } from '../hit-counter.js';

/** What @fastify/rate-limit hands a store: the plugin's (or a route's merged) options, the ones read here. */
export interface FastifyRateLimitParams {
  /** Restart the window on every hit over `max`. */
  continueExceeding?: boolean;
  /** Double the window on every hit over `max`. */
  exponentialBackoff?: boolean;
  /** The route a child store counts for (`child`). */
  routeInfo?: {
    /** The route's method (or methods). */
    method?: string | readonly string[];
    /** The route's URL pattern. */
    url?: string;
  };
}

/** The callback of a store call: `current` hits, `ttl` ms until the window ends. */
export type FastifyStoreCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** A store instance, as @fastify/rate-limit uses it (its `FastifyRateLimitStore`, plus `read`). */
export interface FastifyRateLimitRedisStore {
  /** Counts a hit of `key` in a window of `timeWindow` ms; `max` decides what is over. */
  incr(key: string | number, callback: FastifyStoreCallback, timeWindow: number, max: number): void;
  /** The hits of `key` without counting one (the plugin's `{ increment: false }`). */
  read(key: string | number, callback: FastifyStoreCallback, timeWindow?: number, max?: number): void;
  /**
   * The store of one route, counting apart from the others; reads the
   * {@link FastifyRateLimitParams} of the route's options (typed `object`: the plugin passes
   * Fastify's whole route options).
   */
  child(routeOptions: object): FastifyRateLimitRedisStore;
}

/** Options of {@link fastifyRateLimitStore}. */
export interface FastifyRateLimitStoreOptions extends HitCounterOptions {
  /** Separates these counters from other stores' and limiters'. Default `'fastify-rate-limit'`. */
  name?: string;
}

/**
 * A custom store for @fastify/rate-limit (v10 and v11): keep the plugin and its options
 * (`max`, `timeWindow`, `continueExceeding`, `exponentialBackoff`, per-route config, `ban`),
 * count in Redis. Returns the class to pass as the plugin's `store` (the plugin constructs it).
 * Each hit is one coalesced `EVALSHA`: count and window (a key TTL, Redis's clock) in one
 * atomic step, every key of a client under its own hash tag (any Redis Cluster), ioredis or
 * node-redis. Route stores (`config.rateLimit` on a route) count apart, under the route's
 * method and URL.
 *
 * Bad input gets the core's `ValidationError` with nothing sent: an empty key (a request
 * without an identity), a `max` or `timeWindow` that is not an integer > 0. A Redis failure
 * is the typed error; set the plugin's `skipOnError` to let requests through then.
 *
 * @example
 * await app.register(rateLimit, { max: 100, timeWindow: 60_000, store: fastifyRateLimitStore({ connection }) });
 */
export function fastifyRateLimitStore(
  options: FastifyRateLimitStoreOptions,
): new (
  params?: FastifyRateLimitParams,
) => FastifyRateLimitRedisStore {
  const counter = new HitCounter(options, 'fastify-rate-limit');
  return class RedisPatternsFastifyStore implements FastifyRateLimitRedisStore {
    private readonly over: OverMode;
    private readonly scope: readonly string[];

    constructor(options: object = {}, scope: readonly string[] = []) {
      const params = options as FastifyRateLimitParams;
      this.over = params.continueExceeding ? 'restart' : params.exponentialBackoff ? 'backoff' : 'none';
      this.scope = scope;
    }

    incr(key: string | number, callback: FastifyStoreCallback, timeWindow: number, max: number): void {
      this.call('increment', key, callback, () => {
        assertPositiveInteger('max', max);
        return { delta: 1, windowMs: timeWindow, max, over: this.over };
      });
    }

    read(key: string | number, callback: FastifyStoreCallback): void {
      this.call('get', key, callback, () => ({ delta: 0, windowMs: 0 }));
    }

    child(routeOptions: object): FastifyRateLimitRedisStore {
      const route = (routeOptions as FastifyRateLimitParams).routeInfo ?? {};
      const method = Array.isArray(route.method) ? route.method.join(',') : String(route.method ?? '');
      return new RedisPatternsFastifyStore(routeOptions, [`${method} ${route.url ?? ''}`]);
    }

    private call(
      operation: string,
      key: string | number,
      callback: FastifyStoreCallback,
      make: () => Parameters<HitCounter['run']>[3],
    ): void {
      let reply: Promise<Hits>;
      try {
        // The plugin's keyGenerator may return a number; anything else is the caller's bug.
        if (typeof key !== 'string' && typeof key !== 'number')
          throw new ValidationError('key', `must be a string or a number, got ${typeof key}`);
        reply = counter.run(operation, String(key), this.scope, make());
      } catch (err) {
        reply = Promise.reject(err);
      }
      reply.then(
        (hits) => callback(null, { current: hits.hits, ttl: hits.ttlMs }),
        (err: Error) => callback(err),
      );
    }
  };
}

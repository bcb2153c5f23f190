import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger } from '../../core/validation.js';
import { HitCounter, type HitCounterOptions } from '../hit-counter.js';

/** What `ThrottlerStorage.increment` resolves (@nestjs/throttler's `ThrottlerStorageRecord`). */
export interface ThrottlerStorageRecord {
  /** Hits of the key in the current window, this one included. */
  totalHits: number;
  /** Seconds until the window ends. */
  timeToExpire: number;
  /** True when the request is over the limit: the guard rejects it (429). */
  isBlocked: boolean;
  /** Seconds until the block ends (0 when not blocked); the guard's `Retry-After`. */
  timeToBlockExpire: number;
}

/** Options of {@link NestThrottlerStorage}. */
export interface NestThrottlerStorageOptions extends HitCounterOptions {
  /** Separates these counters from other stores' and limiters'. Default `'nest-throttler'`. */
  name?: string;
}

/**
 * A `ThrottlerStorage` for @nestjs/throttler (v6): keep `ThrottlerModule`, `ThrottlerGuard`,
 * `@Throttle()` and `@SkipThrottle()`, count in Redis. Each `increment` is one coalesced
 * `EVALSHA` that counts the hit, starts the window (`ttl`, a key TTL: Redis's clock) and, on
 * the first hit over `limit`, blocks the key for `blockDuration` (as the guard's own in-memory
 * storage does: the window then ends with the block), all atomically; every key under its own
 * hash tag, so any Redis Cluster. Throttlers count apart (`throttlerName` is part of the key).
 *
 * Bad input gets the core's `ValidationError` with nothing sent: an empty key or throttler
 * name, a `ttl` or `limit` that is not an integer > 0 (a limit of 0), a negative
 * `blockDuration`. A Redis failure rejects with the typed error (Nest answers 500).
 *
 * @example
 * ThrottlerModule.forRoot({ throttlers: [{ ttl: 60_000, limit: 100 }], storage: new NestThrottlerStorage({ connection }) });
 */
export class NestThrottlerStorage {
  private readonly counter: HitCounter;

  constructor(options: NestThrottlerStorageOptions) {
    this.counter = new HitCounter(options, 'nest-throttler');
  }

  /** Counts a hit of `key` for the throttler `throttlerName` (`ttl`, `blockDuration` in ms) and says whether it is blocked. */
  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    assertPositiveInteger('limit', limit);
    assertPositiveInteger('ttl', ttl);
    assertNonNegativeInteger('blockDuration', blockDuration);
    assertKeyPart('throttlerName', throttlerName);
    const blocking = blockDuration > 0;
    const call = { delta: 1, windowMs: ttl, max: limit, over: blocking ? ('block' as const) : ('none' as const), blockMs: blockDuration };
    const { hits, ttlMs } = await this.counter.run('increment', key, [throttlerName], call, (h) =>
      h.hits > limit ? 'rejected' : 'allowed',
    );
    const isBlocked = hits > limit;
    const seconds = Math.ceil(ttlMs / 1000);
    return { totalHits: hits, timeToExpire: seconds, isBlocked, timeToBlockExpire: isBlocked ? Math.max(1, seconds) : 0 };
  }
}

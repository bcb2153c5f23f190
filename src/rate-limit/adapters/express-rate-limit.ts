import { ValidationError } from '../../core/errors.js';
import { assertPositiveInteger } from '../../core/validation.js';
import { HitCounter, type HitCounterOptions } from '../hit-counter.js';

/** What express-rate-limit's `Store.increment` and `get` resolve (its `ClientRateLimitInfo`). */
export interface ClientRateLimitInfo {
  /** Hits of the client in the current window, this one included. */
  totalHits: number;
  /** When the window ends (the local clock plus the window's remaining TTL in Redis). */
  resetTime: Date | undefined;
}

/** Options of {@link ExpressRateLimitStore}. */
export interface ExpressRateLimitStoreOptions extends HitCounterOptions {
  /**
   * Separates this store's counters from other stores' (use one store, and one name, per
   * `rateLimit()` middleware). Default `'express-rate-limit'`.
   */
  name?: string;
}

/** The options express-rate-limit hands a store's `init` (the ones the store reads). */
export interface ExpressRateLimitInitOptions {
  /** The middleware's window, in ms. */
  windowMs: number;
  /** The middleware's limit: a number, or a function of the request (not read then). */
  limit?: unknown;
}

/**
 * A `Store` for express-rate-limit (v7 and v8): keep the middleware and its options, count in
 * Redis. Each `increment` is one coalesced `EVALSHA` that counts the hit and starts the window
 * (a key TTL, so Redis's clock) atomically, every key of a client under its own hash tag (any
 * Redis Cluster), with ioredis or node-redis. express-rate-limit decides from the count.
 *
 * Bad input gets the core's `ValidationError` with nothing sent: an empty key (a request
 * without an identity), and a `windowMs` or numeric `limit` that is not an integer > 0. A bad
 * `init` is only logged by express-rate-limit, so the store keeps its error and rejects every
 * call with it. A Redis failure rejects with the typed error: set express-rate-limit's
 * `passOnStoreError` to let requests through then.
 *
 * @example
 * app.use(rateLimit({ windowMs: 60_000, limit: 100, standardHeaders: 'draft-8', store: new ExpressRateLimitStore({ connection }) }));
 */
export class ExpressRateLimitStore {
  /** Keys incremented here count everywhere (express-rate-limit's double-count check reads it). */
  readonly localKeys = false;
  /** What separates this store's counts from another store's (express-rate-limit's double-count check reads it). */
  readonly prefix: string;
  private readonly counter: HitCounter;
  private windowMs: number | undefined;
  private initError: ValidationError | undefined;

  constructor(options: ExpressRateLimitStoreOptions) {
    this.counter = new HitCounter(options, 'express-rate-limit');
    this.prefix = this.counter.name;
  }

  /** Called once by express-rate-limit with the middleware's options: takes its window. */
  init(options: ExpressRateLimitInitOptions): void {
    try {
      assertPositiveInteger('windowMs', options.windowMs);
      if (typeof options.limit === 'number') assertPositiveInteger('limit', options.limit);
      this.windowMs = options.windowMs;
      this.initError = undefined;
    } catch (err) {
      this.initError = err as ValidationError;
      throw err;
    }
  }

  /** The client's hits and window end, or `undefined` when it has none. */
  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const { hits, ttlMs } = await this.counter.run('get', key, [], { delta: 0, windowMs: this.window() });
    return hits > 0 ? info(hits, ttlMs) : undefined;
  }

  /** Counts a hit of the client, starting its window when it had none. */
  async increment(key: string): Promise<ClientRateLimitInfo> {
    const { hits, ttlMs } = await this.counter.run('increment', key, [], { delta: 1, windowMs: this.window() });
    return info(hits, ttlMs);
  }

  /** Takes a hit back (express-rate-limit's `skipFailedRequests` / `skipSuccessfulRequests`); never below 0. */
  async decrement(key: string): Promise<void> {
    await this.counter.run('decrement', key, [], { delta: -1, windowMs: this.window() });
  }

  /** Forgets the client's hits (one `DEL`). */
  async resetKey(key: string): Promise<void> {
    this.window();
    await this.counter.reset(key, []);
  }

  private window(): number {
    if (this.initError) throw this.initError;
    if (this.windowMs === undefined)
      throw new ValidationError('windowMs', 'is not set: pass the store to express-rate-limit, which calls init');
    return this.windowMs;
  }
}

function info(hits: number, ttlMs: number): ClientRateLimitInfo {
  return { totalHits: hits, resetTime: new Date(Date.now() + ttlMs) };
}

import { ValidationError } from '../core/errors.js';
import { assertInRange, assertPositiveInteger } from '../core/validation.js';
import type { LimitSpec } from './limiter.js';
import { type LimitStatus, type RateLimitResult, summarize } from './result.js';

/** The `insurance` outage policy: an in-process limiter that answers while Redis cannot. */
export interface InsuranceOptions {
  /**
   * Share of every limit this process grants on its own while Redis is unreachable, in
   * `(0, 1]`: `0.2` of 100 per minute is 20 per minute per process, at least 1. With N app
   * instances, set it near `1 / N` so that all of them together stay near the limit.
   */
  share: number;
  /**
   * After Redis failed, how long checks go straight to the in-process limiter before one is
   * sent to Redis again, in ms: checks do not each wait for a timeout during an outage.
   * Default `1000`.
   */
  probeIntervalMs?: number;
  /** Most identities the in-process limiter keeps; when full, the least recently used goes. Default `10000`. */
  maxEntries?: number;
}

/** One limit's in-process window. */
interface Window {
  start: number;
  used: number;
}

/** Script modes, as the limiter passes them (see limiter.ts). */
const PEEK = 1;
const FORCE = 2;

/**
 * The in-process limiter behind the `insurance` outage policy: a fixed window per identity
 * and limit, on the local monotonic clock (Redis is the one that cannot be asked), each
 * granting `max(1, floor(limit x share))` units per period. Bounded: the least recently
 * used identity goes once `maxEntries` are kept. Its counts start empty at each outage.
 */
export class Insurance {
  readonly share: number;
  private readonly probeIntervalMs: number;
  private readonly maxEntries: number;
  private readonly entries = new Map<string, Window[]>();
  /** Local time until which checks skip Redis (0: Redis is asked). */
  private until = 0;

  constructor(options: InsuranceOptions) {
    if (options == null || typeof options !== 'object') throw new ValidationError('outagePolicy.insurance', 'must be an object');
    assertInRange('outagePolicy.insurance.share', options.share, Number.MIN_VALUE, 1);
    this.share = options.share;
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    assertPositiveInteger('outagePolicy.insurance.probeIntervalMs', this.probeIntervalMs);
    this.maxEntries = options.maxEntries ?? 10_000;
    assertPositiveInteger('outagePolicy.insurance.maxEntries', this.maxEntries);
  }

  /** True while Redis failed less than `probeIntervalMs` ago: answer in process without a round trip. */
  get active(): boolean {
    // Stryker disable next-line ConditionalExpression: equivalent, performance.now() is never below 0, so until 0 is never ahead of it
    return this.until !== 0 && performance.now() < this.until;
  }

  /** Redis just failed: answer in process until the next probe. */
  trip(): void {
    this.until = performance.now() + this.probeIntervalMs;
  }

  /** Redis answered: forget the outage and its counts, so the next outage starts afresh. */
  recover(): void {
    // Stryker disable next-line ConditionalExpression: equivalent, until is 0 only before the first trip or after a recover, when no counts are kept
    if (this.until === 0) return;
    this.until = 0;
    this.entries.clear();
  }

  /** The units this process grants of `limit` during an outage. */
  quota(limit: number): number {
    return Math.max(1, Math.floor(limit * this.share));
  }

  /** Answers one call in process, as the script would with `mode`: take, peek or force. */
  answer(key: string, cost: number, mode: number, specs: readonly LimitSpec[]): RateLimitResult {
    const now = performance.now();
    let windows = this.entries.get(key);
    if (windows) {
      this.entries.delete(key); // re-inserted below: the map's order is the recency order
    } else {
      windows = specs.map(() => ({ start: now, used: 0 }));
      if (this.entries.size >= this.maxEntries) {
        const oldest = this.entries.keys().next();
        // Stryker disable next-line ConditionalExpression: equivalent, maxEntries is at least 1, so the map is never empty here
        if (!oldest.done) this.entries.delete(oldest.value);
      }
    }
    this.entries.set(key, windows);
    const over = specs.map((spec, i) => {
      const w = windows[i] as Window;
      if (now >= w.start + spec.periodMs) {
        w.start = now;
        w.used = 0;
      }
      return w.used + cost > this.quota(spec.limit);
    });
    const allowed = !over.includes(true);
    const write = mode === FORCE || (mode !== PEEK && allowed);
    const limits: LimitStatus[] = specs.map((spec, i) => {
      const w = windows[i] as Window;
      if (write) w.used = Math.max(0, w.used + cost);
      const quota = this.quota(spec.limit);
      const left = Math.ceil(w.start + spec.periodMs - now);
      return {
        limit: quota,
        remaining: Math.max(0, quota - w.used),
        resetMs: w.used > 0 ? left : 0,
        retryAfterMs: over[i] ? left : 0,
        windowMs: spec.windowMs,
      };
    });
    return summarize(allowed, 'insurance', limits);
  }
}

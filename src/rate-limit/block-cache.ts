import type { RateLimitResult } from './result.js';

interface Entry {
  /** Local `performance.now()` when the block ends. */
  until: number;
  /** Local time the result was received, to age its durations. */
  at: number;
  result: RateLimitResult;
  /** The limits the rejection was for (per-call limits): another plan's check must ask Redis. */
  signature: string;
}

/**
 * Remembers identities that were rejected, so further checks until their
 * `retryAfterMs` answer in process without a round trip. Bounded: the oldest entry
 * goes when `maxEntries` is reached. Local time only measures how long to wait,
 * never what Redis decided.
 */
export class BlockCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries: number) {}

  /** The cached rejection of `identity` under the limits `signature`, its durations aged to now, or `undefined`. */
  get(identity: string, signature: string): RateLimitResult | undefined {
    const entry = this.entries.get(identity);
    if (!entry || entry.signature !== signature) return undefined;
    const now = performance.now();
    if (now >= entry.until) {
      this.entries.delete(identity);
      return undefined;
    }
    const elapsed = Math.ceil(now - entry.at);
    const age = (ms: number) => Math.max(0, ms - elapsed);
    const r = entry.result;
    return {
      ...r,
      source: 'block-cache',
      resetMs: age(r.resetMs),
      retryAfterMs: age(r.retryAfterMs),
      limits: r.limits.map((l) => ({ ...l, resetMs: age(l.resetMs), retryAfterMs: age(l.retryAfterMs) })),
    };
  }

  /** Remembers a rejection from Redis under the limits `signature` for its `retryAfterMs`. */
  block(identity: string, result: RateLimitResult, signature: string): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the limiter blocks only Redis rejections, and every script names a wait of at least 1 ms for those
    if (result.retryAfterMs <= 0) return;
    this.entries.delete(identity);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      // Stryker disable next-line ConditionalExpression: equivalent, maxEntries is at least 1, so the map is never empty here
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const at = performance.now();
    this.entries.set(identity, { until: at + result.retryAfterMs, at, result, signature });
  }

  /** Forgets `identity` (after a reset or reward made room, or a penalty changed the state). */
  forget(identity: string): void {
    this.entries.delete(identity);
  }
}

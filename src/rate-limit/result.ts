/** Where a {@link RateLimitResult} came from. */
export type ResultSource =
  /** Redis answered. */
  | 'redis'
  /** The in-process block cache answered: the identity was rejected moments ago and is still waiting. */
  | 'block-cache'
  /** Redis could not answer (down, no reply in time) and the limiter's outage policy let the request through. */
  | 'fail-open'
  /** Redis could not answer (down, no reply in time) and the limiter's outage policy rejected the request. */
  | 'fail-closed'
  /** Redis is full (`maxmemory`, `noeviction`) and the limiter's out-of-memory policy let the request through. */
  | 'oom-open'
  /** Redis is full (`maxmemory`, `noeviction`) and the limiter's out-of-memory policy rejected the request. */
  | 'oom-closed'
  /**
   * Redis could not answer and the `insurance` outage policy's in-process limiter did, with its
   * share of the limit (`limit` then reports that share).
   */
  | 'insurance'
  /** The identity is on the limiter's `allowList`: allowed without a round trip, nothing taken. */
  | 'allow-list'
  /** The identity is on the limiter's `denyList`: rejected without a round trip. */
  | 'deny-list';

/** The state of one configured limit after a call. */
export interface LimitStatus {
  /** The most units the limit allows at once (limit per window, bucket capacity, burst). */
  limit: number;
  /** Units left right now after this call (whole units, never negative). */
  remaining: number;
  /** Milliseconds until the limit is whole again (`remaining === limit`); `0` when it already is. */
  resetMs: number;
  /** Milliseconds until a request of the same cost would fit; `0` when it fits now. */
  retryAfterMs: number;
  /**
   * The limit's window in ms: `windowMs` of a window limit, the time a token bucket or GCRA
   * limit takes to refill from empty to `limit`. What `RateLimit-Policy` headers announce.
   */
  windowMs: number;
}

/**
 * The answer of a limiter. With several limits, `limit`, `remaining` and `resetMs` are
 * those of the tightest one (the one that rejected, or the one with the fewest units
 * left), and `limits` holds every limit in the order they were configured.
 */
export interface RateLimitResult extends LimitStatus {
  /** True when the request may go ahead (and, for `check`, its cost was taken). */
  allowed: boolean;
  /** Who answered. */
  source: ResultSource;
  /** Every configured limit, in configuration order. */
  limits: LimitStatus[];
}

/** Picks the limit a caller should be told about: the one that rejected longest, else the one with the fewest units left. */
export function summarize(allowed: boolean, source: ResultSource, limits: LimitStatus[]): RateLimitResult {
  let top = limits[0] as LimitStatus;
  for (let i = 1; i < limits.length; i++) {
    const s = limits[i] as LimitStatus;
    const tighter = allowed
      ? s.remaining < top.remaining || (s.remaining === top.remaining && s.resetMs > top.resetMs)
      : s.retryAfterMs > top.retryAfterMs;
    if (tighter) top = s;
  }
  return {
    allowed,
    source,
    limit: top.limit,
    remaining: top.remaining,
    resetMs: top.resetMs,
    retryAfterMs: top.retryAfterMs,
    windowMs: top.windowMs,
    limits,
  };
}

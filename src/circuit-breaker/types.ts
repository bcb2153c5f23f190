import type { CircuitState } from './options.js';

/** What the check before a call decided. */
export interface Verdict {
  /** `allow` (closed), `probe` (a half-open trial call) or `reject`. */
  verdict: 'allow' | 'probe' | 'reject';
  /** The state the decision was made in. */
  state: CircuitState;
  /** When rejected, ms until a call may be admitted; otherwise 0. */
  waitMs: number;
}

/** The state after a record or a manual transition. */
export interface StateReply {
  state: CircuitState;
  /** For an open circuit, ms until it lets probes through; otherwise 0. */
  waitMs: number;
}

/** A snapshot of a breaker, from {@link CircuitBreaker.status}. */
export interface CircuitStatus {
  /** The stored state. An `open` circuit with `retryAfterMs` 0 turns half-open on the next call. */
  state: CircuitState;
  /** For an open circuit, ms until it lets probes through; otherwise 0. */
  retryAfterMs: number;
  /** Successes in the rolling window. */
  successes: number;
  /** Failures in the rolling window. */
  failures: number;
  /** Probe leases currently held (half-open). */
  probesInFlight: number;
  /** `redis` for the shared state, `local` when Redis is unavailable and this instance runs on its own state. */
  source: 'redis' | 'local';
}

/** Sums the buckets of a window that are still inside it: `bucket > current - buckets`. */
export function sumWindow(
  entries: Iterable<readonly [bucket: number, successes: number, failures: number]>,
  current: number,
  buckets: number,
): { successes: number; failures: number } {
  let successes = 0;
  let failures = 0;
  for (const [bucket, s, f] of entries) {
    if (bucket > current - buckets) {
      successes += s;
      failures += f;
    }
  }
  return { successes, failures };
}

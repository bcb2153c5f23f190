import { ValidationError } from '../core/errors.js';
import { assertPositiveInteger } from '../core/validation.js';
import { type AlgorithmSpec, type LimitSpec, type OneOrMoreLimits, RateLimiter, type RateLimiterOptions } from './limiter.js';
import source from './scripts/gcra.lua';

const ALGORITHM: AlgorithmSpec = { name: 'gcra', keyCode: 'gcra', scriptName: 'gcra', source };

/** `limit` units per `periodMs`, evenly spaced, with bursts of up to `burst`. */
export interface GcraLimit {
  /** Units per period (integer > 0). */
  limit: number;
  /** The period in ms (integer > 0). */
  periodMs: number;
  /** Most units allowed back to back after a quiet spell (integer > 0). Default `limit`. */
  burst?: number;
}

/** Options of {@link GcraLimiter}: one limit, or several (`limits`) checked atomically. */
export type GcraOptions = RateLimiterOptions & OneOrMoreLimits<GcraLimit>;

/**
 * Generic cell rate algorithm: behaves like a token bucket of `burst` tokens refilled at
 * `limit / periodMs`, but keeps a single number (the theoretical arrival time) per
 * identity and limit: the smallest state of all algorithms here.
 *
 * @example
 * const sms = new GcraLimiter({ connection, name: 'sms', limit: 60, periodMs: 60_000, burst: 5 });
 */
export class GcraLimiter extends RateLimiter<GcraLimit> {
  constructor(options: GcraOptions) {
    super(ALGORITHM, options, gcraSpec);
  }
}

function gcraSpec(g: GcraLimit, at: (name: string) => string): LimitSpec {
  if (g == null || typeof g !== 'object') throw new ValidationError(at('limit'), 'must be an object');
  assertPositiveInteger(at('limit'), g.limit);
  assertPositiveInteger(at('periodMs'), g.periodMs);
  const burst = g.burst ?? g.limit;
  assertPositiveInteger(at('burst'), burst);
  const interval = g.periodMs / g.limit;
  return { limit: burst, args: [String(interval), String(burst * interval)], periodMs: g.periodMs, windowMs: Math.ceil(burst * interval) };
}

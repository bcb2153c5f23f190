import { ValidationError } from '../core/errors.js';
import { assertPositive, assertPositiveInteger } from '../core/validation.js';
import { type AlgorithmSpec, type LimitSpec, type OneOrMoreLimits, RateLimiter, type RateLimiterOptions } from './limiter.js';
import source from './scripts/gcra.lua';

// A token bucket is GCRA under another name: `capacity` is the burst and one token the
// emission interval, so it runs GCRA's script (its own keys: `tb`), and both share batches.
const ALGORITHM: AlgorithmSpec = { name: 'token-bucket', keyCode: 'tb', scriptName: 'gcra', source };

/** A bucket of `capacity` tokens refilled by `refillRate` tokens every `refillIntervalMs`. */
export interface BucketLimit {
  /** Most tokens the bucket holds: the largest burst (integer > 0). A new identity starts full. */
  capacity: number;
  /** Tokens added per interval; may be fractional (`0.5` per second). */
  refillRate: number;
  /** The interval of `refillRate` in ms. Default `1000`. Tokens trickle in continuously, not per interval. */
  refillIntervalMs?: number;
}

/** Options of {@link TokenBucketLimiter}: one bucket, or several (`limits`) checked atomically. */
export type TokenBucketOptions = RateLimiterOptions & OneOrMoreLimits<BucketLimit>;

/**
 * Token bucket: bursts up to `capacity`, then a steady `refillRate`. State is one number
 * per identity and bucket (when the bucket will be full again, as GCRA keeps it), gone
 * (expired) once the bucket is full.
 *
 * @example
 * const gateway = new TokenBucketLimiter({ connection, name: 'gateway', capacity: 100, refillRate: 20 });
 * await gateway.check(apiKey, { cost: 5 });
 */
export class TokenBucketLimiter extends RateLimiter<BucketLimit> {
  constructor(options: TokenBucketOptions) {
    super(ALGORITHM, options, bucketSpec);
  }
}

function bucketSpec(b: BucketLimit, at: (name: string) => string): LimitSpec {
  if (b == null || typeof b !== 'object') throw new ValidationError(at('capacity'), 'must be set (the limit must be an object)');
  assertPositiveInteger(at('capacity'), b.capacity);
  assertPositive(at('refillRate'), b.refillRate);
  const interval = b.refillIntervalMs ?? 1000;
  assertPositive(at('refillIntervalMs'), interval);
  // One token every `msPerToken`; a full bucket lets `capacity` tokens go at once.
  const msPerToken = interval / b.refillRate;
  const refillMs = Math.ceil(b.capacity * msPerToken);
  return { limit: b.capacity, args: [String(msPerToken), String(b.capacity * msPerToken)], periodMs: refillMs, windowMs: refillMs };
}

import { ValidationError } from '../core/errors.js';
import { assertPositiveInteger } from '../core/validation.js';
import type { LimitSpec, OneOrMoreLimits, RateLimiterOptions } from './limiter.js';

/** A limit of `limit` units per `windowMs`. */
export interface WindowLimit {
  /** Units allowed per window (integer > 0). */
  limit: number;
  /** Window length in ms (integer > 0). */
  windowMs: number;
}

/**
 * Options of the window limiters: one limit (`limit`, `windowMs`) or several at once
 * (`limits`, e.g. 10 per second and 1,000 per day), checked atomically.
 */
export type WindowLimiterOptions = RateLimiterOptions & OneOrMoreLimits<WindowLimit>;

/** Validates one window limit and turns it into script arguments (limit, window ms). */
export function windowSpec(l: WindowLimit, field: (name: string) => string): LimitSpec {
  if (l == null || typeof l !== 'object') throw new ValidationError(field('limit'), 'must be set (the limit must be an object)');
  assertPositiveInteger(field('limit'), l.limit);
  assertPositiveInteger(field('windowMs'), l.windowMs);
  return { limit: l.limit, args: [l.limit, l.windowMs], periodMs: l.windowMs, windowMs: l.windowMs };
}

import { assertPositiveInteger } from '../core/validation.js';
import { type LimitSpec, type OneOrMoreLimits, type RateLimiterOptions, specsOf } from './limiter.js';

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

/** Validates window limits and turns them into script arguments (limit, window ms). */
export function windowSpecs(options: WindowLimiterOptions): LimitSpec[] {
  return specsOf<WindowLimit>(options, (l, field) => {
    assertPositiveInteger(field('limit'), l.limit);
    assertPositiveInteger(field('windowMs'), l.windowMs);
    return { limit: l.limit, args: [l.limit, l.windowMs], periodMs: l.windowMs };
  });
}

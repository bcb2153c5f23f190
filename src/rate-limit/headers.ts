import type { RateLimitResult } from './result.js';

/**
 * The standard rate-limit response headers of a result: `RateLimit-Limit`,
 * `RateLimit-Remaining`, `RateLimit-Reset` (seconds until the limit is whole again,
 * IETF draft `ratelimit-headers`) and, for a rejection, `Retry-After` (whole seconds, at
 * least 1, RFC 9110). Durations are rounded up so a client never retries too early.
 */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(result.remaining),
    'RateLimit-Reset': String(Math.ceil(result.resetMs / 1000)),
  };
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
  return headers;
}

import type { LimitStatus, RateLimitResult } from './result.js';

/**
 * Which IETF `ratelimit-headers` draft the `RateLimit` headers follow, as express-rate-limit's
 * `standardHeaders` names them:
 *
 * - `'draft-6'`: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (of the tightest
 *   limit) and `RateLimit-Policy: 10;w=1, 1000;w=86400` (every limit: quota and window in seconds).
 * - `'draft-8'` (also what drafts 9 and 10 specify): one `RateLimit` and one `RateLimit-Policy`
 *   field, an item per limit: `RateLimit: "api";r=4;t=1` (remaining, seconds until whole
 *   again) and `RateLimit-Policy: "api";q=5;w=1` (quota, window in seconds).
 */
export type StandardHeaders = 'draft-6' | 'draft-8';

/** Options of {@link rateLimitHeaders}. */
export interface RateLimitHeadersOptions {
  /** The draft to follow. Default `'draft-6'`. */
  standardHeaders?: StandardHeaders;
  /**
   * The policy name of `'draft-8'` items: the limiter's name, say. With several limits the
   * items are `"<name>-1"`, `"<name>-2"`, ... in configuration order. Characters a structured
   * field string cannot hold (outside printable ASCII) become `_`. Default `'default'`.
   */
  name?: string;
}

/**
 * The standard rate-limit response headers of a result (IETF draft `ratelimit-headers`, see
 * {@link StandardHeaders}) and, for a rejection, `Retry-After` (whole seconds, at least 1, RFC
 * 9110). Durations are rounded up so a client never retries too early. No partition key
 * (`pk`) is sent: it would have to be derived from the identity.
 *
 * @example
 * rateLimitHeaders(result); // { 'RateLimit-Limit': '5', 'RateLimit-Remaining': '4', 'RateLimit-Reset': '1', 'RateLimit-Policy': '5;w=1' }
 * rateLimitHeaders(result, { standardHeaders: 'draft-8', name: 'api' }); // { RateLimit: '"api";r=4;t=1', 'RateLimit-Policy': '"api";q=5;w=1' }
 */
export function rateLimitHeaders(result: RateLimitResult, options: RateLimitHeadersOptions = {}): Record<string, string> {
  const limits: readonly LimitStatus[] = result.limits.length > 0 ? result.limits : [result];
  let headers: Record<string, string>;
  if (options.standardHeaders === 'draft-8') {
    const base = sfString(options.name ?? 'default');
    const name = (i: number) => (limits.length === 1 ? `"${base}"` : `"${base}-${i + 1}"`);
    headers = {
      RateLimit: limits.map((l, i) => `${name(i)};r=${l.remaining};t=${seconds(l.resetMs)}`).join(', '),
      'RateLimit-Policy': limits.map((l, i) => `${name(i)};q=${l.limit};w=${seconds(l.windowMs)}`).join(', '),
    };
  } else {
    headers = {
      'RateLimit-Limit': String(result.limit),
      'RateLimit-Remaining': String(result.remaining),
      'RateLimit-Reset': String(seconds(result.resetMs)),
      'RateLimit-Policy': limits.map((l) => `${l.limit};w=${seconds(l.windowMs)}`).join(', '),
    };
  }
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, seconds(result.retryAfterMs)));
  return headers;
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

// The inside of a structured-field string (RFC 8941): printable ASCII, `"` and `\` escaped.
function sfString(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '\\$&');
}

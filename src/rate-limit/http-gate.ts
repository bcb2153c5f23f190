import { ValidationError } from '../core/errors.js';
import { assertInRange, assertPositiveInteger, booleanOption } from '../core/validation.js';
import { rateLimitHeaders, type StandardHeaders } from './headers.js';
import type { CheckOptions, RateLimiter } from './limiter.js';
import type { RateLimitResult } from './result.js';

/**
 * Options of every HTTP adapter ({@link rateLimitMiddleware} for Express and Fastify,
 * `honoRateLimit`, `koaRateLimit`). `Req` is what the framework hands the adapter (a request,
 * Hono's `Context`, Koa's `ctx`), `L` the limiter's kind of limit.
 */
export interface RateLimitMiddlewareOptions<Req, L = unknown> {
  /**
   * The identity to limit, e.g. a user id or API key; `undefined` lets the request through
   * unlimited (say so on purpose: an empty string is rejected with a `ValidationError`, like
   * `check('')`). Default: the client address; a request without one is rejected with a
   * `ValidationError` rather than let through unlimited.
   */
  key?: (req: Req) => string | undefined | Promise<string | undefined>;
  /** Units a request takes. Default `1`. */
  cost?: (req: Req) => number;
  /**
   * This request's own limits (the caller's plan), in place of the limiter's configured ones;
   * `undefined` uses the configured ones. See {@link CheckOptions.limits}. Default: none.
   */
  limits?: (req: Req) => L | readonly L[] | undefined | Promise<L | readonly L[] | undefined>;
  /** Set the `RateLimit` headers on allowed responses too, not only on 429s. Default `true`. */
  headersOnAllowed?: boolean;
  /**
   * Which IETF draft the `RateLimit` headers follow ({@link StandardHeaders}); `false` sends
   * none (`Retry-After` still goes with a rejection). Draft-8 items are named after the
   * limiter. Default `'draft-6'`.
   */
  standardHeaders?: StandardHeaders | false;
  /** Status of a rejection: an integer from 100 to 599. Default `429`. */
  statusCode?: number;
  /** Body of a rejection, sent as JSON. Default `{ error: 'Too Many Requests', retryAfterMs }`. */
  body?: (result: RateLimitResult) => unknown;
  /** Told about every rejection (logs, metrics). Default: none. */
  onLimited?: (req: Req, result: RateLimitResult) => void;
}

/** What an adapter does with one request: let it through (with these headers) or answer it. */
export interface Verdict {
  /** The limiter's answer. */
  result: RateLimitResult;
  /** Headers to set (none on an allowed request when `headersOnAllowed` is false). */
  headers: Record<string, string>;
  /** For a rejection: the status and the JSON body to answer with. */
  rejection?: { status: number; body: unknown };
}

/**
 * The decision every HTTP adapter shares: the request's identity, cost and limits, one
 * check, and the headers and rejection to send. Resolves `undefined` for a request the `key`
 * option chose not to limit. Rejects with a `ValidationError` (nothing sent to Redis) for a
 * request with no identity, a bad cost or bad limits; throws one at once for a bad option.
 */
export function httpGate<Req, L>(
  limiter: RateLimiter<L>,
  options: RateLimitMiddlewareOptions<Req, L>,
  clientAddress: (req: Req) => string | undefined,
): (req: Req) => Promise<Verdict | undefined> {
  if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  // Checked now: a mistake here would otherwise surface on the first request, or never.
  for (const field of ['key', 'cost', 'limits', 'body', 'onLimited'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'function') throw new ValidationError(field, 'must be a function');
  }
  const keyOf = options.key ?? ((req: Req) => requireAddress(clientAddress(req)));
  const status = options.statusCode ?? 429;
  assertPositiveInteger('statusCode', status);
  assertInRange('statusCode', status, 100, 599);
  const bodyOf = options.body ?? ((r: RateLimitResult) => ({ error: 'Too Many Requests', retryAfterMs: r.retryAfterMs }));
  const headersOnAllowed = booleanOption('headersOnAllowed', options.headersOnAllowed, true);
  const standard = options.standardHeaders ?? 'draft-6';
  if (standard !== 'draft-6' && standard !== 'draft-8' && standard !== false) {
    throw new ValidationError('standardHeaders', `must be 'draft-6', 'draft-8' or false, got ${String(standard)}`);
  }
  const headerOptions = standard === false ? undefined : { standardHeaders: standard, name: limiter.name };

  const headersOf = (result: RateLimitResult): Record<string, string> => {
    if (headerOptions) return rateLimitHeaders(result, headerOptions);
    return result.allowed ? {} : { 'Retry-After': rateLimitHeaders(result)['Retry-After'] as string };
  };

  return async (req) => {
    const identity = await keyOf(req);
    if (identity === undefined) return undefined;
    const limits = options.limits ? await options.limits(req) : undefined;
    let check: CheckOptions<L> | undefined;
    // Stryker disable next-line ConditionalExpression: equivalent, check() treats no options like {} (cost 1, the configured limits)
    if (options.cost || limits !== undefined) {
      check = {};
      if (options.cost) check.cost = options.cost(req);
      // Stryker disable next-line ConditionalExpression: equivalent, check() treats limits: undefined like no limits option (the configured ones)
      if (limits !== undefined) check.limits = limits;
    }
    const result = await limiter.check(identity, check);
    if (result.allowed) return { result, headers: headersOnAllowed ? headersOf(result) : {} };
    options.onLimited?.(req, result);
    return { result, headers: headersOf(result), rejection: { status, body: bodyOf(result) } };
  };
}

function requireAddress(address: string | undefined): string {
  // Letting a request without an identity through unlimited would be a way around the limit.
  if (address === undefined || address === '') {
    throw new ValidationError('identity', 'the request has no client address: pass a `key` function that names the identity');
  }
  return address;
}

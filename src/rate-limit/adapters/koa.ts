import { httpGate, type RateLimitMiddlewareOptions } from '../http-gate.js';
import type { RateLimiter } from '../limiter.js';

/**
 * What the adapter uses of Koa's `ctx` (typed structurally, so the library does not import
 * Koa), plus the request, for `key`, `cost` and `limits` functions. For the rest of the
 * context (`state`, your own properties), name it: `koaRateLimit<Koa.Context>(...)`.
 */
export interface KoaContextLike {
  /** A request header (`''` when absent). */
  get(name: string): string;
  /** The method. */
  method: string;
  /** The path. */
  path: string;
  /** The client address (Koa honours `app.proxy`). */
  ip?: string;
  /** Sets a response header. */
  set(name: string, value: string): void;
  /** The response status. */
  status: number;
  /** The response body (an object is sent as JSON). */
  body: unknown;
}

/**
 * Rate-limit middleware for Koa (`app.use(...)`): checks `limiter` for every request, sets the
 * `RateLimit` headers, and answers a rejection itself (`429`, `Retry-After`, a JSON body)
 * without calling the next middleware. The default key is `ctx.ip`. A `ValidationError` (a
 * request without an identity, a bad cost) and, with `outagePolicy: 'throw'`, a Redis error are
 * thrown to Koa's error handling.
 *
 * @example
 * app.use(koaRateLimit(limiter, { key: (ctx) => ctx.state.user?.id }));
 */
export function koaRateLimit<C extends KoaContextLike = KoaContextLike, L = unknown>(
  limiter: RateLimiter<L>,
  options: RateLimitMiddlewareOptions<C, L> = {},
): (ctx: C, next: () => Promise<unknown>) => Promise<void> {
  const gate = httpGate(limiter, options, (ctx: C) => ctx.ip);
  return async (ctx, next) => {
    const verdict = await gate(ctx);
    if (verdict) {
      for (const name in verdict.headers) ctx.set(name, verdict.headers[name] as string);
      if (verdict.rejection) {
        ctx.status = verdict.rejection.status;
        ctx.body = verdict.rejection.body;
        return;
      }
    }
    await next();
  };
}

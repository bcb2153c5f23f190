import { httpGate, type RateLimitMiddlewareOptions } from '../http-gate.js';
import type { RateLimiter } from '../limiter.js';

/**
 * What the adapter uses of Hono's `Context` (typed structurally, so the library does not
 * import Hono): response headers, and on `@hono/node-server` the Node request in `env.incoming`
 * for the default key; plus the request, for `key`, `cost` and `limits` functions. For the
 * rest of `Context` (variables, bindings), name it: `honoRateLimit<Context<AppEnv>>(...)`.
 */
export interface HonoContextLike {
  /** The request (Hono's `HonoRequest`). */
  req: {
    /** A request header. */
    header(name: string): string | undefined;
    /** The method. */
    method: string;
    /** The path, without the query. */
    path: string;
    /** The full URL. */
    url: string;
  };
  /** Sets a response header. */
  header(name: string, value: string): void;
  /** The bindings: on `@hono/node-server`, `incoming` is Node's request. */
  env?: unknown;
}

/**
 * Rate-limit middleware for Hono (`app.use(...)`): checks `limiter` for every request, sets
 * the `RateLimit` headers, and answers a rejection itself with `429`, `Retry-After` and a
 * JSON body, without calling the handler. The default key is the client address, which Hono
 * exposes only per runtime: on `@hono/node-server` it is read from `c.env.incoming`; on other
 * runtimes pass `key` (a request without an identity is rejected with a `ValidationError`,
 * which reaches `app.onError`).
 *
 * @example
 * app.use('/api/*', honoRateLimit(limiter, { key: (c) => c.req.header('x-api-key') }));
 */
export function honoRateLimit<C extends HonoContextLike = HonoContextLike, L = unknown>(
  limiter: RateLimiter<L>,
  options: RateLimitMiddlewareOptions<C, L> = {},
): (c: C, next: () => Promise<void>) => Promise<Response | undefined> {
  const gate = httpGate(limiter, options, nodeAddress);
  return async (c, next) => {
    const verdict = await gate(c);
    if (verdict) {
      const rejection = verdict.rejection;
      if (rejection) {
        // A Response of our own: the handler does not run, and nothing of Hono's typing is needed.
        const headers = { ...verdict.headers, 'Content-Type': 'application/json; charset=utf-8' };
        return new Response(JSON.stringify(rejection.body), { status: rejection.status, headers });
      }
      for (const name in verdict.headers) c.header(name, verdict.headers[name] as string);
    }
    await next();
    return undefined;
  };
}

function nodeAddress(c: HonoContextLike): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress;
}

import { rateLimitHeaders } from './headers.js';
import type { CheckOptions, RateLimiter } from './limiter.js';
import type { RateLimitResult } from './result.js';

/** What the default key reads: Express and Fastify requests both carry `ip`; a bare Node request has its socket. */
export interface RequestLike {
  /** The client address as the framework resolved it (Express honours its `trust proxy` setting). Preferred when set. */
  ip?: string;
  /** The underlying connection, read when `ip` is absent. */
  socket?: {
    /** The peer's address; when it is absent too, the request is not limited. */
    remoteAddress?: string;
  };
}

/** Options of {@link rateLimitMiddleware}. */
export interface RateLimitMiddlewareOptions<Req> {
  /**
   * The identity to limit, e.g. a user id or API key; `undefined` lets the request through
   * unlimited. Default: the client address (`req.ip`, else the socket's remote address).
   */
  key?: (req: Req) => string | undefined | Promise<string | undefined>;
  /** Units a request takes. Default `1`. */
  cost?: (req: Req) => number;
  /** Set the `RateLimit-*` headers on allowed responses too, not only on 429s. Default `true`. */
  headersOnAllowed?: boolean;
  /** Status of a rejection. Default `429`. */
  statusCode?: number;
  /** Body of a rejection, sent as JSON. Default `{ error: 'Too Many Requests', retryAfterMs }`. */
  body?: (result: RateLimitResult) => unknown;
  /** Told about every rejection (logs, metrics). Default: none. */
  onLimited?: (req: Req, result: RateLimitResult) => void;
}

/** Node's `ServerResponse` (Express's response extends it). */
interface NodeResponse {
  setHeader(name: string, value: string): unknown;
  statusCode: number;
  end(body?: string): unknown;
}

/** Fastify's reply. */
interface FastifyReply {
  header(name: string, value: string): unknown;
  code(status: number): unknown;
  send(payload?: unknown): unknown;
}

/** A connect-style callback (Express `next`, Fastify hook `done`). */
// biome-ignore lint/suspicious/noExplicitAny: Express's NextFunction and Fastify's done take loosely typed errors.
type Next = (err?: any) => void;

/**
 * A middleware that checks `limiter` for every request and answers rejections with `429`,
 * `Retry-After` and the `RateLimit-*` headers. It has the `(req, res, next)` shape, so it
 * works as Express (or connect) middleware and as a Fastify `onRequest` hook, with
 * neither framework imported. A Redis failure follows the limiter's outage policy; with
 * `outagePolicy: 'throw'` the error goes to `next`.
 *
 * @example
 * app.use(rateLimitMiddleware(limiter, { key: (req) => req.user?.id }));            // Express
 * fastify.addHook('onRequest', rateLimitMiddleware(limiter));                       // Fastify
 */
export function rateLimitMiddleware<Req extends object = RequestLike>(
  limiter: RateLimiter,
  options: RateLimitMiddlewareOptions<Req> = {},
): (req: Req, res: object, next: Next) => void {
  const keyOf = options.key ?? defaultKey;
  const status = options.statusCode ?? 429;
  const bodyOf = options.body ?? ((r: RateLimitResult) => ({ error: 'Too Many Requests', retryAfterMs: r.retryAfterMs }));
  const headersOnAllowed = options.headersOnAllowed ?? true;

  const handle = async (req: Req, res: object): Promise<boolean> => {
    const identity = await keyOf(req);
    if (identity === undefined) return true;
    const check: CheckOptions | undefined = options.cost ? { cost: options.cost(req) } : undefined;
    const result = await limiter.check(identity, check);
    if (result.allowed) {
      if (headersOnAllowed) setHeaders(res, rateLimitHeaders(result));
      return true;
    }
    options.onLimited?.(req, result);
    setHeaders(res, rateLimitHeaders(result));
    if (isFastify(res)) {
      res.code(status);
      res.send(bodyOf(result));
    } else {
      const node = res as NodeResponse;
      node.statusCode = status;
      node.setHeader('Content-Type', 'application/json; charset=utf-8');
      node.end(JSON.stringify(bodyOf(result)));
    }
    return false;
  };

  // A plain function, not async: Fastify refuses async hooks that also take `done`.
  return (req, res, next) => {
    handle(req, res).then((proceed) => proceed && next(), next);
  };
}

function defaultKey(req: object): string | undefined {
  const r = req as RequestLike;
  return r.ip ?? r.socket?.remoteAddress;
}

function isFastify(res: object): res is FastifyReply {
  return typeof (res as FastifyReply).code === 'function' && typeof (res as FastifyReply).header === 'function';
}

function setHeaders(res: object, headers: Record<string, string>): void {
  const fastify = isFastify(res);
  for (const name in headers) {
    const value = headers[name] as string;
    if (fastify) res.header(name, value);
    else (res as NodeResponse).setHeader(name, value);
  }
}

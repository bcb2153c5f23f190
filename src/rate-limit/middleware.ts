import { httpGate, type RateLimitMiddlewareOptions } from './http-gate.js';
import type { RateLimiter } from './limiter.js';

/** What the default key reads: Express and Fastify requests both carry `ip`; a bare Node request has its socket. */
export interface RequestLike {
  /** The client address as the framework resolved it (Express honours its `trust proxy` setting). Preferred when set. */
  ip?: string;
  /** The underlying connection, read when `ip` is absent. */
  socket?: {
    /** The peer's address; when it is absent too, the request is rejected with a `ValidationError`. */
    remoteAddress?: string;
  };
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
 * `Retry-After` and the `RateLimit` headers. It has the `(req, res, next)` shape, so it
 * works as Express (or connect) middleware and as a Fastify `onRequest` hook, with
 * neither framework imported. A Redis failure follows the limiter's outage policy; with
 * `outagePolicy: 'throw'` the error goes to `next`, and so does the `ValidationError` of a
 * request without an identity (or with a bad cost).
 *
 * @example
 * app.use(rateLimitMiddleware(limiter, { key: (req) => req.user?.id }));            // Express
 * fastify.addHook('onRequest', rateLimitMiddleware(limiter));                       // Fastify
 */
export function rateLimitMiddleware<Req extends object = RequestLike, L = unknown>(
  limiter: RateLimiter<L>,
  options: RateLimitMiddlewareOptions<Req, L> = {},
): (req: Req, res: object, next: Next) => void {
  const gate = httpGate(limiter, options, clientAddress);

  const handle = async (req: Req, res: object): Promise<boolean> => {
    const verdict = await gate(req);
    if (!verdict) return true;
    setHeaders(res, verdict.headers);
    const rejection = verdict.rejection;
    if (!rejection) return true;
    if (isFastify(res)) {
      res.code(rejection.status);
      res.send(rejection.body);
    } else {
      const node = res as NodeResponse;
      node.statusCode = rejection.status;
      node.setHeader('Content-Type', 'application/json; charset=utf-8');
      node.end(JSON.stringify(rejection.body));
    }
    return false;
  };

  // A plain function, not async: Fastify refuses async hooks that also take `done`.
  return (req, res, next) => {
    handle(req, res).then((proceed) => proceed && next(), next);
  };
}

function clientAddress(req: object): string | undefined {
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

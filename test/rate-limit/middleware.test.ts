import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { FixedWindowLimiter, rateLimitHeaders, rateLimitMiddleware, TokenBucketLimiter } from '../../src/rate-limit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { clearOfBoundary, waitForPhase } from './algorithms.js';

/** Serves `app` on a free loopback port until the tests end; resolves its base URL. */
async function listen(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  closeAfterAll({ close: () => new Promise((r) => server.close(r)) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function hammer(base: string, n: number, headers: Record<string, string> = {}): Promise<Response[]> {
  const out: Response[] = [];
  for (let i = 0; i < n; i++) out.push(await fetch(`${base}/hello`, { headers }));
  return out;
}

function expectLimited(responses: Response[], limit: number) {
  expect(responses.map((r) => r.status)).toEqual([...Array(limit).fill(200), 429, 429]);
  const ok = responses[0] as Response;
  expect(ok.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(ok.headers.get('ratelimit-remaining')).toBe(String(limit - 1));
  expect(Number(ok.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
  expect(ok.headers.get('ratelimit-policy')).toMatch(new RegExp(`^${limit};w=\\d+$`));
  expect(ok.headers.get('retry-after')).toBeNull();
  const limited = responses[limit] as Response;
  expect(limited.headers.get('ratelimit-remaining')).toBe('0');
  const retry = Number(limited.headers.get('retry-after'));
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(retry).toBeLessThanOrEqual(60);
}

describe(`rate-limit middleware on ${target} via ${driver}`, () => {
  it('limits a real Express app over HTTP with 429, Retry-After and RateLimit-* headers', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 3, windowMs: 60_000 });
    await clearOfBoundary(connection, 60_000);
    const app = express();
    app.use(rateLimitMiddleware(limiter, { key: (req) => req.header('x-patient') ?? req.ip }));
    app.get('/hello', (_req, res) => {
      res.json({ ok: true });
    });
    const base = await listen(app);
    const responses = await hammer(base, 5, { 'x-patient': 'p1' });
    expectLimited(responses, 3);
    expect(await responses[4]?.json()).toMatchObject({ error: 'Too Many Requests' });
    expect(await responses[0]?.json()).toEqual({ ok: true });
    // A different identity has its own budget.
    expect((await hammer(base, 1, { 'x-patient': 'p2' }))[0]?.status).toBe(200);
  });

  it('limits a real Fastify app over HTTP as an onRequest hook, with cost and a custom body', async () => {
    const connection = await testConnection();
    const limiter = new TokenBucketLimiter({ connection, capacity: 4, refillRate: 1, refillIntervalMs: 60_000 });
    const app = Fastify();
    const limited: string[] = [];
    app.addHook(
      'onRequest',
      rateLimitMiddleware<FastifyRequest>(limiter, {
        key: (req) => String(req.headers['x-patient'] ?? req.ip),
        cost: (req) => (req.url === '/hello' ? 1 : 2),
        body: (r) => ({ slowDown: true, retryAfterMs: r.retryAfterMs }),
        onLimited: (req) => limited.push(String(req.headers['x-patient'])),
      }),
    );
    app.get('/hello', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    closeAfterAll({ close: () => app.close() });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const responses = await hammer(base, 6, { 'x-patient': 'p1' });
    expectLimited(responses, 4);
    const body = (await responses[5]?.json()) as { slowDown: boolean; retryAfterMs: number };
    expect(body.slowDown).toBe(true);
    expect(body.retryAfterMs).toBeGreaterThan(0);
    expect(limited).toEqual(['p1', 'p1']);
  });

  it('lets requests without an identity through, and sends nothing when the key is undefined', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 1, windowMs: 60_000 });
    await clearOfBoundary(connection, 60_000);
    const app = express();
    app.use(rateLimitMiddleware(limiter, { key: (req) => req.header('x-api-key') }));
    app.get('/hello', (_req, res) => {
      res.send('hi');
    });
    const base = await listen(app);
    expect((await hammer(base, 3)).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('rejects a request without a client address with ValidationError (to next), and sends nothing', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 1, windowMs: 60_000 });
    await clearOfBoundary(connection, 60_000);
    const errors: unknown[] = [];
    const app = express();
    // A key function that finds no identity: '' is not "skip", it is a request nobody can be limited as.
    app.use(rateLimitMiddleware(limiter, { key: (req) => req.header('x-api-key') ?? '' }));
    app.get('/hello', (_req, res) => {
      res.send('hi');
    });
    app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(err);
      res.status(400).json({ error: (err as Error).message });
    });
    const base = await listen(app);
    const { result, total } = await countCommands(connection, () => hammer(base, 1));
    expect(result[0]?.status).toBe(400);
    expect(errors[0]).toBeInstanceOf(ValidationError);
    expect((errors[0] as ValidationError).field).toBe('identity');
    expect(total).toBe(0);
    // The default key (the client address) is always there over TCP; a request object without one is rejected.
    const bare = rateLimitMiddleware(limiter);
    const err = await new Promise((resolve) => bare({}, {}, resolve));
    expect(err).toBeInstanceOf(ValidationError);
  });

  it('sends draft-8 RateLimit and RateLimit-Policy fields named after the limiter, one item per limit', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({
      connection,
      name: 'api',
      limits: [
        { limit: 2, windowMs: 1000 },
        { limit: 100, windowMs: 3_600_000 },
      ],
    });
    const app = express();
    app.use(rateLimitMiddleware(limiter, { key: () => 'k', standardHeaders: 'draft-8' }));
    app.get('/hello', (_req, res) => {
      res.send('hi');
    });
    const base = await listen(app);
    // Fixed windows start on whole seconds of Redis's clock: burst right after one starts, so a
    // slow machine cannot split the three requests across two windows.
    await waitForPhase(connection, 1000, 0.02);
    const [first, , third] = await hammer(base, 3);
    expect(first?.headers.get('ratelimit-policy')).toBe('"api-1";q=2;w=1, "api-2";q=100;w=3600');
    expect(first?.headers.get('ratelimit')).toMatch(/^"api-1";r=1;t=1, "api-2";r=99;t=\d+$/);
    expect(first?.headers.get('ratelimit-limit')).toBeNull();
    expect(third?.status).toBe(429);
    expect(third?.headers.get('ratelimit')).toMatch(/^"api-1";r=0;t=1, "api-2";r=98;t=\d+$/);
    expect(Number(third?.headers.get('retry-after'))).toBe(1);
  });

  it('formats headers in whole seconds, rounded up, after draft 6 or draft 8', () => {
    const result = {
      allowed: false,
      limit: 10,
      remaining: 0,
      resetMs: 1001,
      retryAfterMs: 1,
      windowMs: 60_000,
      source: 'redis' as const,
      limits: [],
    };
    expect(rateLimitHeaders(result)).toEqual({
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '2',
      'RateLimit-Policy': '10;w=60',
      'Retry-After': '1',
    });
    expect(rateLimitHeaders({ ...result, allowed: true }, { standardHeaders: 'draft-8', name: 'a "b" \\ é' })).toEqual({
      RateLimit: '"a \\"b\\" \\\\ _";r=0;t=2',
      'RateLimit-Policy': '"a \\"b\\" \\\\ _";q=10;w=60',
    });
    expect(rateLimitHeaders({ ...result, allowed: true }, { standardHeaders: 'draft-8' }).RateLimit).toBe('"default";r=0;t=2');
  });

  it('with standardHeaders false sends no RateLimit headers, but still Retry-After on a rejection', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 1, windowMs: 60_000 });
    await clearOfBoundary(connection, 60_000);
    const app = express();
    app.use(rateLimitMiddleware(limiter, { key: () => 'k', standardHeaders: false }));
    app.get('/hello', (_req, res) => {
      res.send('hi');
    });
    const base = await listen(app);
    const [ok, limited] = await hammer(base, 2);
    expect(ok?.status).toBe(200);
    expect(limited?.status).toBe(429);
    for (const response of [ok, limited]) {
      const names = [...(response as Response).headers.keys()];
      expect(names.filter((n) => n.startsWith('ratelimit'))).toEqual([]);
    }
    expect(ok?.headers.get('retry-after')).toBeNull();
    const retry = Number(limited?.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
  });

  it('on a plain node:http server keys by the socket address, sets headers and answers a rejection as JSON without calling next', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 2, windowMs: 60_000 });
    await clearOfBoundary(connection, 60_000);
    const middleware = rateLimitMiddleware(limiter);
    let handled = 0;
    const errors: unknown[] = [];
    // No framework: the request has no `ip`, the response no `header()` or `code()`.
    const server = createServer((req, res) => {
      middleware(req, res, (err?: unknown) => {
        if (err) {
          errors.push(err);
          res.statusCode = 500;
          res.end();
          return;
        }
        handled++;
        res.end('hi');
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    closeAfterAll({ close: () => new Promise((r) => server.close(r)) });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const responses = await hammer(base, 3);
    expect(errors).toEqual([]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(handled).toBe(2);
    expect(responses[0]?.headers.get('ratelimit-remaining')).toBe('1');
    const limited = responses[2] as Response;
    expect(limited.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await limited.json()).toMatchObject({ error: 'Too Many Requests' });
    // Every request came from 127.0.0.1: that address is the identity that was counted.
    expect((await limiter.peek('127.0.0.1')).remaining).toBe(0);
  });

  it('rejects a request whose client address is empty, saying the address is missing', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 1, windowMs: 60_000 });
    await clearOfBoundary(connection, 60_000);
    const bare = rateLimitMiddleware(limiter);
    const run = (ip: string) =>
      new Promise((resolve, reject) => bare({ ip } as never, {}, (err?: unknown) => (err ? reject(err) : resolve(undefined))));
    await expectInvalid(() => run(''), 'identity', /no client address/);
  });

  it('refuses a bad option when the middleware is made, naming it, not on the first request', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 1, windowMs: 60_000 });
    await clearOfBoundary(connection, 60_000);
    const make = (options: unknown) => () => rateLimitMiddleware(limiter, options as never);
    await expectInvalid(make(null), 'options', /must be an object/);
    await expectInvalid(make({ headersOnAllowed: 'false' }), 'headersOnAllowed', /must be a boolean/);
    for (const field of ['key', 'cost', 'limits', 'body', 'onLimited']) {
      await expectInvalid(make({ [field]: 'x-api-key' }), field, /must be a function/);
    }
    // express-rate-limit's 'draft-7' is not one of ours: refused rather than sent as draft-6.
    await expectInvalid(
      make({ standardHeaders: 'draft-7' }),
      'standardHeaders',
      /^standardHeaders: must be 'draft-6', 'draft-8' or false, got draft-7$/,
    );
    await expectInvalid(make({ standardHeaders: true }), 'standardHeaders');
    for (const statusCode of [99, 600, 429.5, '429']) await expectInvalid(make({ statusCode }), 'statusCode');
    for (const statusCode of [100, 503, 599]) expect(make({ statusCode, standardHeaders: false })).not.toThrow();
    expect(make({ standardHeaders: 'draft-8' })).not.toThrow();
  });

  it('lists every limit in a draft-6 RateLimit-Policy, and rounds a long Retry-After up', () => {
    const status = { limit: 10, remaining: 0, resetMs: 2500, retryAfterMs: 2500, windowMs: 60_000 };
    const result = {
      ...status,
      allowed: false,
      source: 'redis' as const,
      limits: [status, { limit: 1000, remaining: 5, resetMs: 10_000, retryAfterMs: 0, windowMs: 3_600_000 }],
    };
    const headers = rateLimitHeaders(result);
    expect(headers['RateLimit-Policy']).toBe('10;w=60, 1000;w=3600');
    expect(headers['Retry-After']).toBe('3');
  });
});

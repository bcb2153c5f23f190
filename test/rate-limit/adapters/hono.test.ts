import { type HttpBindings, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/index.js';
import { FixedWindowLimiter, honoRateLimit, TokenBucketLimiter, type WindowLimit } from '../../../src/rate-limit/index.js';
import { countCommands } from '../../harness/command-counter.js';
import { driver, target, testConnection } from '../../harness/redis.js';
import { baseUrl, hits, statuses } from './http.js';

function start(app: Hono<{ Bindings: HttpBindings }>): Promise<string> {
  return baseUrl(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as never);
}

describe(`Hono adapter on ${target} via ${driver}`, () => {
  it('limits a real Hono app on @hono/node-server over HTTP: 429, Retry-After, draft-6 headers, per-plan limits', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, name: 'hono', limit: 2, windowMs: 60_000 });
    const plans: Record<string, WindowLimit> = { pro: { limit: 4, windowMs: 60_000 } };
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.use(
      '/hello',
      honoRateLimit(limiter, {
        key: (c) => c.req.header('x-tenant'),
        limits: (c) => plans[c.req.header('x-plan') ?? ''],
      }),
    );
    app.get('/hello', (c) => c.json({ ok: true }));
    const base = await start(app);
    const free = await hits(base, 3, { 'x-tenant': 't1' });
    expect(statuses(free)).toEqual([200, 200, 429]);
    expect(await free[0]?.json()).toEqual({ ok: true });
    expect(free[0]?.headers.get('ratelimit-limit')).toBe('2');
    expect(free[0]?.headers.get('ratelimit-remaining')).toBe('1');
    expect(free[0]?.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect(free[2]?.headers.get('content-type')).toMatch(/application\/json/);
    expect(await free[2]?.json()).toMatchObject({ error: 'Too Many Requests' });
    expect(Number(free[2]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The pro plan's own limit, from the same limiter.
    expect(statuses(await hits(base, 5, { 'x-tenant': 't2', 'x-plan': 'pro' }))).toEqual([200, 200, 200, 200, 429]);
    // No identity from the key function: not limited, on purpose.
    expect(statuses(await hits(base, 3))).toEqual([200, 200, 200]);
  });

  it('the default key is the client address on @hono/node-server; draft-8 headers and a cost', async () => {
    const connection = await testConnection();
    const limiter = new TokenBucketLimiter({ connection, name: 'bucket', capacity: 3, refillRate: 1, refillIntervalMs: 60_000 });
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.use('*', honoRateLimit(limiter, { standardHeaders: 'draft-8', cost: (c) => (c.req.method === 'POST' ? 2 : 1) }));
    app.get('/hello', (c) => c.text('hi'));
    app.post('/hello', (c) => c.text('posted'));
    const base = await start(app);
    const post = await fetch(`${base}/hello`, { method: 'POST' });
    expect(post.status).toBe(200);
    expect(post.headers.get('ratelimit')).toBe('"bucket";r=1;t=120');
    expect(post.headers.get('ratelimit-policy')).toBe('"bucket";q=3;w=180');
    expect(statuses(await hits(base, 2))).toEqual([200, 429]);
    expect(await limiter.peek('127.0.0.1')).toMatchObject({ remaining: 0 });
  });

  it('bad input (no identity, a negative cost, a limit of 0) reaches app.onError as a ValidationError, with nothing sent', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 1, windowMs: 60_000 });
    const errors: unknown[] = [];
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.use('/empty', honoRateLimit(limiter, { key: () => '' }));
    app.use('/negative', honoRateLimit(limiter, { key: () => 'k', cost: () => -1 }));
    app.use('/zero', honoRateLimit(limiter, { key: () => 'k', limits: () => ({ limit: 0, windowMs: 1000 }) }));
    app.get('*', (c) => c.text('hi'));
    app.onError((err, c) => {
      errors.push(err);
      return c.json({ error: err.message }, 400);
    });
    const base = await start(app);
    const { result, total } = await countCommands(connection, async () => [
      ...(await hits(base, 1, {}, '/empty')),
      ...(await hits(base, 1, {}, '/negative')),
      ...(await hits(base, 1, {}, '/zero')),
    ]);
    expect(statuses(result)).toEqual([400, 400, 400]);
    expect(total).toBe(0);
    expect(errors.map((e) => (e as ValidationError).field)).toEqual(['identity', 'cost', 'limits.limit']);
    for (const e of errors) expect(e).toBeInstanceOf(ValidationError);
    // Off @hono/node-server there is no address to read: the default key rejects rather than let it through.
    const bare = honoRateLimit(limiter);
    const c = { header: () => {}, req: { header: () => undefined, method: 'GET', path: '/', url: 'http://x/' } };
    await expect(bare(c, async () => {})).rejects.toBeInstanceOf(ValidationError);
  });

  it('an incoming request without a socket in the bindings has no address: the default key rejects it as a ValidationError', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 1, windowMs: 60_000 });
    const errors: unknown[] = [];
    const app = new Hono<{ Bindings: HttpBindings }>();
    app.use('*', honoRateLimit(limiter));
    app.get('/hello', (c) => c.text('hi'));
    app.onError((err, c) => {
      errors.push(err);
      return c.json({ error: err.message }, 400);
    });
    // Another runtime, or an adapter of its own, may bind an `incoming` that is not Node's request.
    const { result, total } = await countCommands(connection, async () => [
      await app.request('/hello', {}, { incoming: {} } as never),
      await app.request('/hello', {}, { incoming: { socket: {} } } as never),
    ]);
    expect(statuses(result)).toEqual([400, 400]);
    expect(total).toBe(0);
    expect(errors.map((e) => (e as ValidationError).field)).toEqual(['identity', 'identity']);
    for (const e of errors) expect(e).toBeInstanceOf(ValidationError);
  });
});

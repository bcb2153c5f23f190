import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/index.js';
import { GcraLimiter, koaRateLimit, SlidingWindowCounterLimiter } from '../../../src/rate-limit/index.js';
import { countCommands } from '../../harness/command-counter.js';
import { driver, target, testConnection } from '../../harness/redis.js';
import { baseUrl, hits, statuses } from './http.js';

describe(`Koa adapter on ${target} via ${driver}`, () => {
  it('limits a real Koa app over HTTP: the default key is ctx.ip, 429 with Retry-After and the RateLimit headers', async () => {
    const connection = await testConnection();
    const limiter = new SlidingWindowCounterLimiter({ connection, name: 'koa', limit: 3, windowMs: 60_000 });
    const limited: string[] = [];
    const app = new Koa();
    app.use(koaRateLimit(limiter, { onLimited: (ctx) => limited.push(ctx.path) }));
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    const base = await baseUrl(app.listen(0, '127.0.0.1'));
    const responses = await hits(base, 5);
    expect(statuses(responses)).toEqual([200, 200, 200, 429, 429]);
    expect(await responses[0]?.json()).toEqual({ ok: true });
    expect(responses[0]?.headers.get('ratelimit-remaining')).toBe('2');
    expect(responses[0]?.headers.get('ratelimit-policy')).toBe('3;w=60');
    expect(await responses[3]?.json()).toMatchObject({ error: 'Too Many Requests' });
    expect(Number(responses[3]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited).toEqual(['/hello', '/hello']);
    expect((await limiter.peek('127.0.0.1')).remaining).toBe(0);
  });

  it('a key from a header, draft-8 headers, no headers on allowed responses, a custom status and body', async () => {
    const connection = await testConnection();
    const limiter = new GcraLimiter({ connection, name: 'sms', limit: 2, periodMs: 60_000 });
    const app = new Koa();
    app.use(
      koaRateLimit(limiter, {
        key: (ctx) => ctx.get('x-user') || undefined,
        standardHeaders: 'draft-8',
        headersOnAllowed: false,
        statusCode: 503,
        body: (r) => ({ wait: r.retryAfterMs }),
      }),
    );
    app.use((ctx) => {
      ctx.body = 'sent';
    });
    const base = await baseUrl(app.listen(0, '127.0.0.1'));
    const responses = await hits(base, 3, { 'x-user': 'u1' });
    expect(statuses(responses)).toEqual([200, 200, 503]);
    expect(responses[0]?.headers.get('ratelimit')).toBeNull();
    expect(responses[2]?.headers.get('ratelimit-policy')).toBe('"sms";q=2;w=60');
    expect(((await (responses[2] as Response).json()) as { wait: number }).wait).toBeGreaterThan(0);
    expect(statuses(await hits(base, 3))).toEqual([200, 200, 200]); // no x-user: not limited, on purpose
  });

  it('bad input (no identity, a negative cost, a limit of 0) is thrown to Koa as a ValidationError, with nothing sent', async () => {
    const connection = await testConnection();
    const limiter = new GcraLimiter({ connection, limit: 5, periodMs: 1000 });
    const errors: unknown[] = [];
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        errors.push(err);
        ctx.status = 400;
        ctx.body = { error: (err as Error).message };
      }
    });
    app.use(
      koaRateLimit(limiter, {
        key: (ctx) => ctx.get('x-user'),
        cost: (ctx) => Number(ctx.get('x-cost') || 1),
        limits: (ctx) => (ctx.get('x-plan') === 'zero' ? { limit: 0, periodMs: 1000 } : undefined),
      }),
    );
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const base = await baseUrl(app.listen(0, '127.0.0.1'));
    const { result, total } = await countCommands(connection, async () => [
      ...(await hits(base, 1)), // no x-user: '' is no identity
      ...(await hits(base, 1, { 'x-user': 'u', 'x-cost': '-1' })),
      ...(await hits(base, 1, { 'x-user': 'u', 'x-plan': 'zero' })), // a plan with a limit of 0
    ]);
    expect(statuses(result)).toEqual([400, 400, 400]);
    expect(total).toBe(0);
    expect(errors.map((e) => (e as ValidationError).field)).toEqual(['identity', 'cost', 'limits.limit']);
    for (const e of errors) expect(e).toBeInstanceOf(ValidationError);
  });
});

import express from 'express';
import { type Options, rateLimit } from 'express-rate-limit';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/index.js';
import { ExpressRateLimitStore } from '../../../src/rate-limit/index.js';
import { countCommands } from '../../harness/command-counter.js';
import { driver, target, testConnection } from '../../harness/redis.js';
import { tracedOperations } from '../../harness/traced.js';
import { rateLimitKeys } from '../algorithms.js';
import { baseUrl, hits, statuses } from './http.js';

type Limiter = ReturnType<typeof rateLimit>;

async function app(options: Partial<Options>, errors: unknown[] = []): Promise<{ base: string; limiter: Limiter }> {
  const server = express();
  const limiter = rateLimit({ legacyHeaders: false, keyGenerator: (req) => req.header('x-patient') ?? 'anonymous', ...options });
  server.use(limiter);
  server.get('/hello', (_req, res) => {
    res.json({ ok: true });
  });
  server.get('/fail', (_req, res) => {
    res.status(500).send('no');
  });
  server.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    errors.push(err);
    res.status(400).json({ error: (err as Error).message });
  });
  return { base: await baseUrl(server.listen(0, '127.0.0.1')), limiter };
}

describe(`express-rate-limit store on ${target} via ${driver}`, () => {
  it('counts in Redis for a real express-rate-limit middleware over HTTP: one EVALSHA per request, draft-8 headers', async () => {
    const connection = await testConnection();
    const { base } = await app({
      windowMs: 60_000,
      limit: 3,
      standardHeaders: 'draft-8',
      store: new ExpressRateLimitStore({ connection }),
    });
    await hits(base, 1, { 'x-patient': 'warm' }); // loads the script outside the count
    const { result, byCommand } = await countCommands(connection, () => hits(base, 5, { 'x-patient': 'p1' }));
    expect(statuses(result)).toEqual([200, 200, 200, 429, 429]);
    expect(byCommand.evalsha).toBe(5);
    expect(byCommand.incrby).toBe(5);
    expect(byCommand.pexpire).toBe(1); // the window starts at the first hit
    expect(result[0]?.headers.get('ratelimit-policy')).toMatch(/^"3-in-1min"; q=3; w=60/);
    expect(result[0]?.headers.get('ratelimit')).toMatch(/^"3-in-1min"; r=2; t=(59|60)$/);
    expect(Number(result[3]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(statuses(await hits(base, 1, { 'x-patient': 'p2' }))).toEqual([200]);
  });

  it('app instances with their own store and middleware share the counts (same name), as servers behind a balancer would', async () => {
    const connection = await testConnection();
    const a = await app({ windowMs: 60_000, limit: 4, store: new ExpressRateLimitStore({ connection, name: 'api' }) });
    const b = await app({ windowMs: 60_000, limit: 4, store: new ExpressRateLimitStore({ connection, name: 'api' }) });
    const c = await app({ windowMs: 60_000, limit: 4, store: new ExpressRateLimitStore({ connection, name: 'other' }) });
    const seen = [];
    for (let i = 0; i < 3; i++) {
      seen.push(...(await hits(a.base, 1, { 'x-patient': 'p' })), ...(await hits(b.base, 1, { 'x-patient': 'p' })));
    }
    expect(statuses(seen)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(statuses(await hits(c.base, 1, { 'x-patient': 'p' }))).toEqual([200]);
    // The middleware's own resetKey and getKey go through the store.
    expect((await a.limiter.getKey('p'))?.totalHits).toBe(6);
    await a.limiter.resetKey('p');
    expect(await b.limiter.getKey('p')).toBeUndefined();
    expect(statuses(await hits(b.base, 1, { 'x-patient': 'p' }))).toEqual([200]);
  });

  it('skipFailedRequests takes the hit of a failed request back (decrement), never below zero', async () => {
    const connection = await testConnection();
    const store = new ExpressRateLimitStore({ connection });
    const { base } = await app({ windowMs: 60_000, limit: 2, skipFailedRequests: true, store });
    for (let i = 0; i < 4; i++) expect((await hits(base, 1, { 'x-patient': 'p' }, '/fail'))[0]?.status).toBe(500);
    // The decrement runs after the response ends: give it a moment.
    await new Promise((r) => setTimeout(r, 100));
    expect(await store.get('p')).toBeUndefined();
    expect(statuses(await hits(base, 3, { 'x-patient': 'p' }))).toEqual([200, 200, 429]);
    await store.decrement('nobody');
    expect(await store.get('nobody')).toBeUndefined();
    const info = await store.get('p');
    expect(info?.totalHits).toBe(2); // the 429 was failed too, and taken back
    expect(info?.resetTime?.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it('get and decrement of a client without hits write nothing, nor does a decrement back to 0', async () => {
    const connection = await testConnection();
    const store = new ExpressRateLimitStore({ connection });
    store.init({ windowMs: 60_000, limit: 5 });
    expect(await store.get('nobody')).toBeUndefined();
    await store.decrement('nobody');
    expect(await rateLimitKeys(connection)).toEqual([]);
    // The first hit still starts a whole window; taking it back leaves no counter either.
    const info = await store.increment('nobody');
    expect(info.totalHits).toBe(1);
    expect(info.resetTime?.getTime()).toBeGreaterThan(Date.now() + 50_000);
    await store.decrement('nobody');
    expect(await rateLimitKeys(connection)).toEqual([]);
  });

  it('bad input: a request without an identity and a limit of 0 get ValidationError, with nothing sent', async () => {
    const connection = await testConnection();
    const errors: unknown[] = [];
    const logged: unknown[] = [];
    const noIdentity = await app(
      { windowMs: 60_000, limit: 5, keyGenerator: () => '', store: new ExpressRateLimitStore({ connection }) },
      errors,
    );
    const zero = await app(
      {
        windowMs: 60_000,
        limit: 0,
        store: new ExpressRateLimitStore({ connection }),
        validate: { limit: false },
        logger: { error: (e: unknown) => logged.push(e), warn: () => {} } as unknown as Options['logger'],
      },
      errors,
    );
    const { result, total } = await countCommands(connection, async () => [
      ...(await hits(noIdentity.base, 1)),
      ...(await hits(zero.base, 1)),
    ]);
    expect(statuses(result)).toEqual([400, 400]);
    expect(total).toBe(0);
    expect(errors.map((e) => (e as ValidationError).field)).toEqual(['key', 'limit']);
    for (const e of errors) expect(e).toBeInstanceOf(ValidationError);
    // express-rate-limit only logs init's error; the store keeps it and rejects every call.
    expect(logged[0]).toBeInstanceOf(ValidationError);
    const store = new ExpressRateLimitStore({ connection });
    await expect(store.increment('p')).rejects.toThrow(/windowMs: is not set/);
    expect(() => store.init({ windowMs: 1.5 })).toThrow(expect.objectContaining({ field: 'windowMs' }));
    expect(() => store.init({ windowMs: 1.5 })).toThrow(ValidationError);
  });

  it('stores sharing a name share their keys: express-rate-limit reports a request counted twice by two such middlewares', async () => {
    const connection = await testConnection();
    // Two middlewares on one route; the second one's logger hears its double-count check.
    const start = async (firstName: string, secondName: string) => {
      const logged: unknown[] = [];
      const logger = { error: (e: unknown) => logged.push(e), warn: () => {} } as unknown as Options['logger'];
      const server = express();
      const keyGenerator = () => 'p';
      server.use(
        rateLimit({ windowMs: 60_000, limit: 5, keyGenerator, store: new ExpressRateLimitStore({ connection, name: firstName }) }),
      );
      server.use(
        rateLimit({ windowMs: 60_000, limit: 5, keyGenerator, logger, store: new ExpressRateLimitStore({ connection, name: secondName }) }),
      );
      server.get('/hello', (_req, res) => {
        res.json({ ok: true });
      });
      expect(statuses(await hits(await baseUrl(server.listen(0, '127.0.0.1')), 1))).toEqual([200]);
      return logged.map((e) => (e as { code?: string }).code);
    };
    // Both count the same Redis key, whichever store instance does it: the same client, twice.
    expect(await start('twice', 'twice')).toEqual(['ERR_ERL_DOUBLE_COUNT']);
    expect(await start('first', 'second')).toEqual([]);
  });

  it('traces every store call by its operation: increment, get, decrement, reset', async () => {
    const connection = await testConnection();
    const store = new ExpressRateLimitStore({ connection });
    store.init({ windowMs: 60_000 });
    const operations = await tracedOperations('rate-limit', async () => {
      await store.increment('p');
      await store.get('p');
      await store.decrement('p');
      await store.resetKey('p');
    });
    expect(operations.map((o) => o.operation)).toEqual(['increment', 'get', 'decrement', 'reset']);
  });
});

import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/index.js';
import { fastifyRateLimitStore } from '../../../src/rate-limit/index.js';
import { countCommands } from '../../harness/command-counter.js';
import { closeAfterAll, driver, target, testConnection } from '../../harness/redis.js';
import { tracedOperations } from '../../harness/traced.js';
import { rateLimitKeys } from '../algorithms.js';
import { hits, statuses } from './http.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  closeAfterAll({ close: () => app.close() });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

function read(Store: ReturnType<typeof fastifyRateLimitStore>, key: string): Promise<{ current: number; ttl: number }> {
  return new Promise((resolve, reject) => new Store({}).read(key, (err, res) => (err ? reject(err) : resolve(res as never))));
}

describe(`@fastify/rate-limit store on ${target} via ${driver}`, () => {
  it('counts in Redis for the real plugin over HTTP: one EVALSHA per request, route stores count apart', async () => {
    const connection = await testConnection();
    const Store = fastifyRateLimitStore({ connection, name: 'api' });
    const app = Fastify();
    await app.register(rateLimit, { max: 3, timeWindow: 60_000, store: Store, keyGenerator: (req) => String(req.headers['x-patient']) });
    app.get('/hello', async () => ({ ok: true }));
    app.get('/strict', { config: { rateLimit: { max: 1, timeWindow: 60_000 } } }, async () => ({ strict: true }));
    const base = await listen(app);
    await hits(base, 1, { 'x-patient': 'warm' }); // loads the script outside the count
    const { result, byCommand } = await countCommands(connection, () => hits(base, 5, { 'x-patient': 'p1' }));
    expect(statuses(result)).toEqual([200, 200, 200, 429, 429]);
    expect(byCommand.evalsha).toBe(5);
    expect(result[0]?.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(Number(result[3]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    // The route's own store: its own max, its own count.
    expect(statuses(await hits(base, 2, { 'x-patient': 'p1' }, '/strict'))).toEqual([200, 429]);
    expect(await read(Store, 'p1')).toMatchObject({ current: 5 });
    expect((await read(Store, 'p1')).ttl).toBeGreaterThan(50_000);
    expect(await read(Store, 'nobody')).toEqual({ current: 0, ttl: 0 });
  });

  it('continueExceeding restarts the window on every hit over max, in Redis', async () => {
    const connection = await testConnection();
    const app = Fastify();
    await app.register(rateLimit, {
      max: 1,
      timeWindow: 600,
      continueExceeding: true,
      store: fastifyRateLimitStore({ connection }),
      keyGenerator: () => 'k',
    });
    app.get('/hello', async () => 'hi');
    const base = await listen(app);
    expect(statuses(await hits(base, 2))).toEqual([200, 429]);
    const during: number[] = [];
    for (let i = 0; i < 4; i++) {
      await sleep(250);
      during.push(...statuses(await hits(base, 1)));
    }
    // A second past the first hit, the window would be over without continueExceeding.
    expect(during).toEqual([429, 429, 429, 429]);
    await sleep(800);
    expect(statuses(await hits(base, 1))).toEqual([200]);
  });

  it('exponentialBackoff doubles the window per hit over max', async () => {
    const connection = await testConnection();
    const Store = fastifyRateLimitStore({ connection, name: 'backoff' });
    const app = Fastify();
    await app.register(rateLimit, { max: 1, timeWindow: 1000, exponentialBackoff: true, store: Store, keyGenerator: () => 'k' });
    app.get('/hello', async () => 'hi');
    const base = await listen(app);
    expect(statuses(await hits(base, 4))).toEqual([200, 429, 429, 429]);
    // Three hits over max: the window is now 1000 x 2^2 ms.
    const { ttl } = await read(Store, 'k');
    expect(ttl).toBeGreaterThan(3000);
    expect(ttl).toBeLessThanOrEqual(4000);
  });

  it('bad input: a request without an identity and a max of 0 get ValidationError, with nothing sent', async () => {
    const connection = await testConnection();
    const errors: unknown[] = [];
    const app = Fastify();
    app.setErrorHandler((err, _req, reply) => {
      errors.push(err);
      reply.code(400).send({ error: err instanceof Error ? err.message : String(err) });
    });
    await app.register(rateLimit, { max: 5, timeWindow: 60_000, store: fastifyRateLimitStore({ connection }), keyGenerator: () => '' });
    app.get('/hello', async () => 'hi');
    app.get('/zero', { config: { rateLimit: { max: 0, keyGenerator: () => 'k' } } }, async () => 'never');
    const base = await listen(app);
    const { result, total } = await countCommands(connection, async () => [
      ...(await hits(base, 1)),
      ...(await hits(base, 1, {}, '/zero')),
    ]);
    expect(statuses(result)).toEqual([400, 400]);
    expect(total).toBe(0);
    expect(errors.map((e) => (e as ValidationError).field)).toEqual(['key', 'max']);
    for (const e of errors) expect(e).toBeInstanceOf(ValidationError);
  });

  it('route stores count apart by method and by URL, each under <name>:<METHOD /url>:hits; createRateLimit under an empty route', async () => {
    const connection = await testConnection();
    const app = Fastify();
    await app.register(rateLimit, {
      max: 5,
      timeWindow: 60_000,
      store: fastifyRateLimitStore({ connection, name: 'api' }),
      keyGenerator: () => 'p',
    });
    const one = { config: { rateLimit: { max: 1, timeWindow: 60_000 } }, exposeHeadRoute: false };
    app.get('/hello', async () => 'hi');
    app.get('/a', one, async () => 'get a');
    app.post('/a', one, async () => 'post a');
    app.get('/b', one, async () => 'get b');
    app.route({ method: ['PUT', 'DELETE'], url: '/multi', ...one, handler: async () => 'multi' });
    const limit = app.createRateLimit({ max: 5, timeWindow: 60_000 });
    app.get('/own', { config: { rateLimit: false } }, async (req) => (await limit(req)).isAllowed);
    const base = await listen(app);
    const send = async (method: string, path: string) => (await fetch(`${base}${path}`, { method })).status;
    expect([await send('GET', '/a'), await send('GET', '/a')]).toEqual([200, 429]);
    // Same URL, another method; same method, another URL: fresh counts.
    expect([await send('POST', '/a'), await send('POST', '/a')]).toEqual([200, 429]);
    expect([await send('GET', '/b'), await send('GET', '/b')]).toEqual([200, 429]);
    // One route of two methods is one route: one count.
    expect([await send('PUT', '/multi'), await send('DELETE', '/multi')]).toEqual([200, 429]);
    expect([await send('GET', '/hello'), await send('GET', '/own')]).toEqual([200, 200]);
    const key = (...scope: string[]) => connection.keys('rate-limit').key('p', 'api', ...scope, 'hits');
    // The plugin hands createRateLimit's store an empty routeInfo: no method, no URL.
    expect((await rateLimitKeys(connection)).sort()).toEqual(
      [key(), key('GET /a'), key('POST /a'), key('GET /b'), key('PUT,DELETE /multi'), key(' ')].sort(),
    );
  });

  it('a numeric key from keyGenerator counts as its string; any other type is a ValidationError naming the key', async () => {
    const connection = await testConnection();
    const errors: unknown[] = [];
    const Store = fastifyRateLimitStore({ connection });
    const app = Fastify();
    // The plugin answers its 429 through the error handler too.
    app.setErrorHandler((err, _req, reply) => {
      if (!(err instanceof ValidationError)) return reply.send(err);
      errors.push(err);
      return reply.code(400).send({ error: err.message });
    });
    // The plugin's keyGenerator is typed string | number; JavaScript callers can return anything.
    const keys: Record<string, unknown> = { number: 42, none: undefined, object: {} };
    const keyGenerator = (req: { headers: Record<string, unknown> }) => keys[String(req.headers['x-kind'])] as string;
    await app.register(rateLimit, { max: 1, timeWindow: 60_000, store: Store, keyGenerator });
    app.get('/hello', async () => 'hi');
    const base = await listen(app);
    expect(statuses(await hits(base, 2, { 'x-kind': 'number' }))).toEqual([200, 429]);
    expect(await read(Store, '42')).toMatchObject({ current: 2 });
    const { result, total } = await countCommands(connection, async () => [
      ...(await hits(base, 1, { 'x-kind': 'none' })),
      ...(await hits(base, 1, { 'x-kind': 'object' })),
    ]);
    expect(statuses(result)).toEqual([400, 400]);
    expect(total).toBe(0);
    expect(errors.map((e) => [(e as ValidationError).field, (e as ValidationError).message])).toEqual([
      ['key', 'key: must be a string or a number, got undefined'],
      ['key', 'key: must be a string or a number, got object'],
    ]);
  });

  it("traces the plugin's hits as increment and its reads as get", async () => {
    const connection = await testConnection();
    const Store = fastifyRateLimitStore({ connection });
    const app = Fastify();
    await app.register(rateLimit, { max: 5, timeWindow: 60_000, store: Store, keyGenerator: () => 'p' });
    app.get('/hello', async () => 'hi');
    const base = await listen(app);
    const operations = await tracedOperations('rate-limit', async () => {
      await hits(base, 1);
      await read(Store, 'p');
    });
    expect(operations.map((o) => o.operation)).toEqual(['increment', 'get']);
  });
});

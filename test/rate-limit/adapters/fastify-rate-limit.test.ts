import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/index.js';
import { fastifyRateLimitStore } from '../../../src/rate-limit/index.js';
import { countCommands } from '../../harness/command-counter.js';
import { closeAfterAll, driver, target, testConnection } from '../../harness/redis.js';
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
});

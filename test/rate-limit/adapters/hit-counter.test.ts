// The hit counter shared by the stores of express-rate-limit, @fastify/rate-limit and
// @nestjs/throttler, through those stores: its options, its key, its timeout, its tracing.
import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, ValidationError } from '../../../src/index.js';
import { ExpressRateLimitStore, fastifyRateLimitStore } from '../../../src/rate-limit/index.js';
import { countCommands } from '../../harness/command-counter.js';
import { privateConnection, privateServers } from '../../harness/private-server.js';
import { driver, target, testConnection } from '../../harness/redis.js';
import { tracedOperations } from '../../harness/traced.js';

describe(`rate-limit hit counter on ${target} via ${driver}`, () => {
  const startServer = privateServers();

  it('names the offending option or argument in its ValidationError, with nothing sent', async () => {
    const connection = await testConnection();
    expect(() => new ExpressRateLimitStore({ connection, name: '' })).toThrow(expect.objectContaining({ field: 'name' }));
    expect(() => new ExpressRateLimitStore({ connection, timeoutMs: -1 })).toThrow(expect.objectContaining({ field: 'timeoutMs' }));
    const store = new ExpressRateLimitStore({ connection });
    store.init({ windowMs: 60_000 });
    const Fastify = fastifyRateLimitStore({ connection });
    const incr = (timeWindow: number) =>
      new Promise((resolve, reject) => new Fastify({}).incr('p', (err, res) => (err ? reject(err) : resolve(res)), timeWindow, 5));
    const { total } = await countCommands(connection, async () => {
      await expect(store.resetKey('')).rejects.toThrow(expect.objectContaining({ field: 'key' }));
      // A window that is not a whole number of ms would reach PEXPIRE as an error reply.
      for (const timeWindow of [0, 1.5]) {
        const error = await incr(timeWindow).catch((e: unknown) => e);
        expect(error, String(timeWindow)).toBeInstanceOf(ValidationError);
        expect(error).toMatchObject({ field: 'windowMs' });
      }
    });
    expect(total).toBe(0);
  });

  it('counts under <identity>/<name>/hits, the window its TTL; reset deletes it and is traced as reset', async () => {
    const connection = await testConnection();
    const store = new ExpressRateLimitStore({ connection, name: 'api' });
    store.init({ windowMs: 60_000 });
    await store.increment('p');
    const key = connection.keys('rate-limit').key('p', 'api', 'hits');
    expect(await connection.send(['GET', key], key)).toBe('1');
    expect(Number(await connection.send(['PTTL', key], key))).toBeGreaterThan(50_000);
    const operations = await tracedOperations('rate-limit', () => store.resetKey('p'));
    expect(operations.map((o) => o.operation)).toEqual(['reset']);
    expect(await connection.send(['EXISTS', key], key)).toBe(0);
  });

  it('waits for Redis as long as its timeoutMs, else the connection command timeout', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 300 });
    try {
      const own = new ExpressRateLimitStore({ connection, name: 'own', timeoutMs: 1000 });
      const inherited = new ExpressRateLimitStore({ connection, name: 'inherited' });
      for (const store of [own, inherited]) {
        store.init({ windowMs: 60_000 });
        await store.increment('warm');
      }
      server.pause();
      // A call that never settles would hang the test: give up well after both timeouts.
      const outcome = (p: Promise<unknown>) =>
        Promise.race([p.catch((e: unknown) => e), new Promise((r) => setTimeout(() => r('no answer'), 5000))]);
      const a = await outcome(own.increment('p'));
      const b = await outcome(inherited.increment('p'));
      expect(a).toBeInstanceOf(CommandTimeoutError);
      expect(a).toMatchObject({ timeoutMs: 1000 });
      expect(b).toBeInstanceOf(CommandTimeoutError);
      expect(b).toMatchObject({ timeoutMs: 300 });
    } finally {
      server.resume();
      close();
    }
  });
});

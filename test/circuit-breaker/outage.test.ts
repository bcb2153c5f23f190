import { afterAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../scripts/lib/redis-servers.js';
import { CircuitBreaker, type CircuitBreakerOptions, CircuitOpenError } from '../../src/circuit-breaker/index.js';
import { CommandTimeoutError, RedisPatternsError, RedisUnavailableError } from '../../src/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';
import { attempt, down, ok, sleep } from './helpers.js';

const options = { name: 'eprescribe', failureThreshold: 3, openMs: 60_000, redisTimeoutMs: 500, redisRetryMs: 300, cacheMs: 0 };

/** Calls until `breaker` is back on the shared state (it retries Redis in the background). */
async function untilShared(breaker: CircuitBreaker, within: number): Promise<void> {
  const deadline = Date.now() + within;
  while (breaker.mode !== 'shared' && Date.now() < deadline) {
    await attempt(breaker, ok);
    await sleep(50);
  }
}

// The private server is a standalone one whatever the project's target: run with each driver once.
describe.runIf(process.env.RP_TARGET !== 'cluster')(`CircuitBreaker during a Redis outage via ${driver}`, () => {
  const servers: RedisServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function setup(extra: Partial<CircuitBreakerOptions> = {}) {
    const server = await startRedis();
    servers.push(server);
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 500 });
    const breaker = new CircuitBreaker({ connection, ...options, ...extra });
    const unavailable: Error[] = [];
    const restored: number[] = [];
    breaker.on('redisUnavailable', ({ error }) => unavailable.push(error));
    breaker.on('redisRestored', () => restored.push(Date.now()));
    return { server, breaker, close, unavailable, restored };
  }

  it('a stopped Redis: calls go through on local state, a typed event is emitted, and it recovers', async () => {
    const { server, breaker, close, unavailable, restored } = await setup();
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      expect(breaker.mode).toBe('shared');
      await server.stop();
      const started = Date.now();
      expect(await breaker.execute(ok)).toBe('ok');
      expect(Date.now() - started).toBeLessThan(2500);
      expect(breaker.mode).toBe('local');
      expect(unavailable).toHaveLength(1);
      expect(unavailable[0]).toBeInstanceOf(RedisPatternsError);
      expect(unavailable[0] instanceof RedisUnavailableError || unavailable[0] instanceof CommandTimeoutError).toBe(true);
      // Later calls do not wait for Redis at all (23 waits of 500 ms would take 11 s), and
      // the local window still opens the circuit.
      const burst = Date.now();
      for (let i = 0; i < 20; i++) expect(await breaker.execute(ok)).toBe('ok');
      for (let i = 0; i < 3; i++) await attempt(breaker, down);
      expect(Date.now() - burst).toBeLessThan(5000);
      expect(await attempt(breaker, ok)).toBeInstanceOf(CircuitOpenError);
      expect(await breaker.status()).toMatchObject({ state: 'open', source: 'local' });
      expect(unavailable).toHaveLength(1);
      servers.push(await startRedis({ port: server.port }));
      await untilShared(breaker, 8000);
      expect(restored).toHaveLength(1);
      // The restarted server holds no open circuit: the shared state (closed) wins again.
      expect(await breaker.execute(ok)).toBe('ok');
      expect(await breaker.status()).toMatchObject({ state: 'closed', source: 'redis', successes: 1 });
    } finally {
      close();
    }
  });

  it('a frozen Redis delays a call by redisTimeoutMs at most', async () => {
    const { server, breaker, close, unavailable, restored } = await setup();
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      server.pause();
      const started = Date.now();
      expect(await breaker.execute(ok)).toBe('ok');
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(2500);
      expect(unavailable[0]).toBeInstanceOf(CommandTimeoutError);
      server.resume();
      await untilShared(breaker, 8000);
      expect(restored).toHaveLength(1);
      expect(breaker.mode).toBe('shared');
    } finally {
      server.resume();
      close();
    }
  });

  it('an open circuit keeps failing fast on local state while Redis is down', async () => {
    const { server, breaker, close, unavailable } = await setup();
    try {
      for (let i = 0; i < 3; i++) await attempt(breaker, down);
      expect(breaker.state).toBe('open');
      await server.stop();
      let ran = false;
      const err = await attempt(breaker, async () => {
        ran = true;
        return 'ok';
      });
      expect(ran).toBe(false);
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect((err as CircuitOpenError).retryAfterMs).toBeGreaterThan(50_000);
      expect(unavailable).toHaveLength(1);
      // Manual changes still act on this instance, and say that Redis did not get them.
      await expect(breaker.forceClose()).rejects.toBeInstanceOf(RedisPatternsError);
      expect(await breaker.execute(ok)).toBe('ok');
    } finally {
      close();
    }
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, type RedisPatternsError, ValidationError } from '../../src/index.js';
import { FixedWindowLimiter, SlidingWindowLogLimiter } from '../../src/rate-limit/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, testConnection } from '../harness/redis.js';

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe(`rate-limit insurance outage policy via ${driver}`, () => {
  const servers: RedisServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('a frozen server: the in-process limiter grants its share, without a round trip between probes, then Redis answers again', async () => {
    const server = await startRedis();
    servers.push(server);
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 5000 });
    try {
      const events: { error: RedisPatternsError; policy: string }[] = [];
      const logins = new SlidingWindowLogLimiter({
        connection,
        name: 'logins',
        limits: [
          { limit: 10, windowMs: 60_000 },
          { limit: 100, windowMs: 3_600_000 },
        ],
        outagePolicy: { insurance: { share: 0.2, probeIntervalMs: 800 } },
        timeoutMs: 300,
      });
      logins.on('outage', (e) => events.push(e));
      expect((await logins.check('user:1')).source).toBe('redis');
      server.pause();
      // The first check waits for the timeout, then the insurance limiter answers: 2 of 10 here.
      const first = await timed(() => logins.check('user:1'));
      expect(first.value).toMatchObject({ allowed: true, source: 'insurance', limit: 2, remaining: 1 });
      expect(first.value.limits.map((l) => l.limit)).toEqual([2, 20]);
      expect(first.ms).toBeGreaterThanOrEqual(250);
      expect(events).toHaveLength(1);
      expect(events[0]?.policy).toBe('insurance');
      expect(events[0]?.error).toBeInstanceOf(CommandTimeoutError);
      // Until the next probe, checks skip Redis: no wait, no event.
      const second = await timed(() => logins.check('user:1'));
      expect(second.value).toMatchObject({ allowed: true, source: 'insurance', remaining: 0 });
      const third = await timed(() => logins.check('user:1'));
      expect(third.value).toMatchObject({ allowed: false, source: 'insurance', remaining: 0 });
      expect(third.value.retryAfterMs).toBeGreaterThan(59_000);
      expect(second.ms + third.ms).toBeLessThan(100);
      expect(events).toHaveLength(1);
      // A brute-force run during the outage gets its share, not the whole limit or more.
      let admitted = 0;
      for (let i = 0; i < 50; i++) if ((await logins.check('attacker')).allowed) admitted++;
      expect(admitted).toBe(2);
      server.resume();
      await new Promise((r) => setTimeout(r, 900));
      const back = await logins.check('user:1');
      expect(back.source).toBe('redis');
      // Redis kept its own count: the check before the outage, the one that timed out (sent before
      // the freeze, it ran when Redis resumed) and this one; the in-process answers took nothing there.
      expect(back.remaining).toBe(7);
    } finally {
      server.resume();
      close();
    }
  });

  it('a stopped server: insurance answers within the timeout, per identity and cost', async () => {
    const server = await startRedis();
    servers.push(server);
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 5000 });
    try {
      const api = new FixedWindowLimiter({
        connection,
        limit: 10,
        windowMs: 60_000,
        outagePolicy: { insurance: { share: 0.5 } },
        timeoutMs: 300,
      });
      await api.check('a');
      await server.stop();
      const r = await timed(() => api.check('a', { cost: 4 }));
      expect(r.value).toMatchObject({ allowed: true, source: 'insurance', limit: 5, remaining: 1 });
      expect(r.ms).toBeLessThan(1500);
      expect((await api.check('a', { cost: 2 })).allowed).toBe(false);
      expect((await api.check('b', { cost: 5 })).allowed).toBe(true);
      expect((await api.peek('b')).allowed).toBe(false);
      expect((await api.reward('b', 5)).remaining).toBe(5);
      // maxEntries: exactly 2 identities are kept, then the least recently used one goes.
      const small = new FixedWindowLimiter({
        connection,
        name: 'small',
        limit: 10,
        windowMs: 60_000,
        outagePolicy: { insurance: { share: 0.5, maxEntries: 2, probeIntervalMs: 60_000 } },
        timeoutMs: 300,
      });
      expect((await small.check('x', { cost: 5 })).remaining).toBe(0);
      expect((await small.check('y')).remaining).toBe(4);
      expect((await small.check('x')).allowed).toBe(false); // two kept: x still counted
      expect((await small.check('z')).remaining).toBe(4); // a third: y, least recently used, goes
      expect((await small.check('x')).allowed).toBe(false);
      expect((await small.check('y')).remaining).toBe(4); // y starts afresh
    } finally {
      close();
    }
  });

  it('validates the policy when the limiter is made; a share of exactly 1 (the maximum) is accepted', async () => {
    const connection = await testConnection();
    const make = (insurance: unknown) =>
      new FixedWindowLimiter({ connection, limit: 10, windowMs: 1000, outagePolicy: { insurance } as never });
    for (const share of [0, -0.1, 1.01, Number.NaN, '0.5']) {
      expect(() => make({ share }), String(share)).toThrow(ValidationError);
    }
    expect(() => make({ share: 0.5, probeIntervalMs: 0 })).toThrow(/probeIntervalMs/);
    expect(() => make({ share: 0.5, maxEntries: 1.5 })).toThrow(/maxEntries/);
    expect(() => make(undefined)).toThrow(ValidationError);
    expect(() => make({ share: 1 })).not.toThrow();
    expect(() => new FixedWindowLimiter({ connection, limit: 1, windowMs: 1, outagePolicy: 'maybe' as never })).toThrow(/insurance/);
  });
});

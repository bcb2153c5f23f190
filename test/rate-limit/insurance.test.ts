import { describe, expect, it } from 'vitest';
import type { RedisServer } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, type RedisConnection, type RedisPatternsError, ValidationError } from '../../src/index.js';
import { FixedWindowLimiter, SlidingWindowLogLimiter } from '../../src/rate-limit/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, testConnection } from '../harness/redis.js';

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe(`rate-limit insurance outage policy via ${driver}`, () => {
  const startServer = privateServers();

  /**
   * Runs `fn` with a redis-server of its own, which it may stop or freeze, and a connection to
   * it, closed afterwards (a frozen server is resumed when afterAll stops it).
   */
  async function onOwnServer(fn: (server: RedisServer, connection: RedisConnection) => Promise<void>): Promise<void> {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 5000 });
    try {
      await fn(server, connection);
    } finally {
      close();
    }
  }

  it('a frozen server: the in-process limiter grants its share, without a round trip between probes, then Redis answers again', async () => {
    await onOwnServer(async (server, connection) => {
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
    });
  });

  it('a stopped server: insurance answers within the timeout, per identity and cost', async () => {
    await onOwnServer(async (server, connection) => {
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
    });
  });

  it('during an outage, per-call limits count apart from the configured ones and from other identities', async () => {
    await onOwnServer(async (server, connection) => {
      const api = new FixedWindowLimiter({
        connection,
        name: 'plans',
        limit: 10,
        windowMs: 60_000,
        outagePolicy: { insurance: { share: 0.1, probeIntervalMs: 60_000 } },
        timeoutMs: 300,
      });
      const pro = { limit: 20, windowMs: 60_000 };
      await api.check('a');
      await server.stop();
      // Two of 20 for the pro plan, used up.
      expect(await api.check('a', { limits: pro })).toMatchObject({ allowed: true, source: 'insurance', limit: 2, remaining: 1 });
      expect(await api.check('a', { limits: pro })).toMatchObject({ allowed: true, remaining: 0 });
      expect((await api.check('a', { limits: pro })).allowed).toBe(false);
      // The configured limit (one of 10) has its own count, and so has another identity's plan.
      expect(await api.check('a')).toMatchObject({ allowed: true, source: 'insurance', limit: 1, remaining: 0 });
      expect(await api.check('b', { limits: pro })).toMatchObject({ allowed: true, source: 'insurance', remaining: 1 });
      // A third plan of the same identity starts whole too.
      const team = { limit: 30, windowMs: 60_000 };
      expect(await api.check('a', { limits: team })).toMatchObject({ allowed: true, source: 'insurance', limit: 3, remaining: 2 });
    });
  });

  it('during an outage, a peek or a rejected check takes nothing, a penalty takes past the share; durations count from the first unit', async () => {
    await onOwnServer(async (server, connection) => {
      const api = new FixedWindowLimiter({
        connection,
        limit: 10,
        windowMs: 60_000,
        outagePolicy: { insurance: { share: 0.5, probeIntervalMs: 60_000 } },
        timeoutMs: 300,
      });
      await api.check('warm');
      await server.stop();
      const fresh = await api.peek('p');
      expect(fresh).toMatchObject({ allowed: true, source: 'insurance', limit: 5, remaining: 5, resetMs: 0, retryAfterMs: 0 });
      expect(fresh.limits[0]).toMatchObject({ remaining: 5, resetMs: 0 });
      const taken = await api.check('p', { cost: 2 });
      expect(taken).toMatchObject({ allowed: true, remaining: 3 });
      // The in-process window starts at the first unit: its whole length is left, no more.
      expect(taken.resetMs).toBeGreaterThan(50_000);
      expect(taken.resetMs).toBeLessThanOrEqual(60_000);
      expect((await api.peek('p')).remaining).toBe(3);
      const rejected = await api.check('p', { cost: 4 });
      expect(rejected).toMatchObject({ allowed: false, remaining: 3 });
      expect(rejected.retryAfterMs).toBeGreaterThan(50_000);
      expect(rejected.retryAfterMs).toBeLessThanOrEqual(60_000);
      expect((await api.check('p', { cost: 3 })).remaining).toBe(0);
      // A penalty is forced like the script forces it: 7 used of 5, so a reward of 2 leaves none.
      expect((await api.penalty('p', 2)).remaining).toBe(0);
      expect((await api.reward('p', 2)).remaining).toBe(0);
      expect((await api.reward('p', 1)).remaining).toBe(1);
    });
  });

  it('a window of the in-process limiter ends after its period while the outage goes on', async () => {
    await onOwnServer(async (server, connection) => {
      const api = new FixedWindowLimiter({
        connection,
        limit: 2,
        windowMs: 1000,
        outagePolicy: { insurance: { share: 0.5, probeIntervalMs: 60_000 } },
        timeoutMs: 300,
      });
      await api.check('warm');
      await server.stop();
      expect(await api.check('p')).toMatchObject({ allowed: true, source: 'insurance', remaining: 0 });
      const rejected = await api.check('p');
      expect(rejected).toMatchObject({ allowed: false, source: 'insurance' });
      expect(rejected.retryAfterMs).toBeLessThanOrEqual(1000);
      await new Promise((r) => setTimeout(r, rejected.retryAfterMs + 100));
      expect(await api.check('p')).toMatchObject({ allowed: true, source: 'insurance', remaining: 0 });
    });
  });

  it('each outage starts with fresh in-process counts: what the last one took is forgotten once Redis answers', async () => {
    await onOwnServer(async (server, connection) => {
      const api = new FixedWindowLimiter({
        connection,
        limit: 100,
        windowMs: 60_000,
        outagePolicy: { insurance: { share: 0.01, probeIntervalMs: 200 } },
        timeoutMs: 300,
      });
      expect((await api.check('u')).source).toBe('redis');
      server.pause();
      expect(await api.check('u')).toMatchObject({ allowed: true, source: 'insurance' });
      expect(await api.check('u')).toMatchObject({ allowed: false, source: 'insurance' });
      server.resume();
      await new Promise((r) => setTimeout(r, 400));
      expect(await api.check('u')).toMatchObject({ allowed: true, source: 'redis' });
      server.pause();
      expect(await api.check('u')).toMatchObject({ allowed: true, source: 'insurance' });
      server.resume();
    });
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
    // null is typeof 'object', and a bare number has no share: both are named as the policy itself.
    for (const insurance of [null, 0.5]) {
      expect(() => make(insurance), String(insurance)).toThrow(
        expect.objectContaining({ field: 'outagePolicy.insurance', message: 'outagePolicy.insurance: must be an object' }),
      );
    }
    expect(() => make({ share: 2 })).toThrow(expect.objectContaining({ field: 'outagePolicy.insurance.share' }));
    expect(() => make({ share: 1 })).not.toThrow();
    expect(() => new FixedWindowLimiter({ connection, limit: 1, windowMs: 1, outagePolicy: 'maybe' as never })).toThrow(/insurance/);
  });
});

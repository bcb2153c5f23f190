import { afterAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../scripts/lib/redis-servers.js';
import {
  CommandTimeoutError,
  RedisCommandError,
  type RedisConnection,
  type RedisPatternsError,
  RedisUnavailableError,
} from '../../src/index.js';
import { FixedWindowLimiter, type OutagePolicy, SlidingWindowLogLimiter, TokenBucketLimiter } from '../../src/rate-limit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';

const limiterOn = (connection: RedisConnection, outagePolicy: OutagePolicy, errors: RedisPatternsError[] = []) => {
  const limiter = new FixedWindowLimiter({
    connection,
    name: `policy-${outagePolicy}`,
    limits: [
      { limit: 5, windowMs: 60_000 },
      { limit: 100, windowMs: 3_600_000 },
    ],
    outagePolicy,
    timeoutMs: 300, // shorter than the connection's 5 s: the limiter's own bound applies
  });
  limiter.on('outage', ({ error }) => errors.push(error));
  return limiter;
};

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe(`rate-limit outage policy via ${driver}`, () => {
  const servers: RedisServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('a frozen server: fail-open allows, fail-closed rejects, throw rejects with CommandTimeoutError, all within the timeout', async () => {
    const server = await startRedis();
    servers.push(server);
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 5000 });
    try {
      const errors: RedisPatternsError[] = [];
      const open = limiterOn(connection, 'open', errors);
      const closed = limiterOn(connection, 'closed');
      const strict = limiterOn(connection, 'throw');
      expect((await open.check('p')).source).toBe('redis');
      server.pause();
      const a = await timed(() => open.check('p'));
      expect(a.value).toMatchObject({ allowed: true, source: 'fail-open', remaining: 5, limit: 5 });
      expect(errors[0]).toBeInstanceOf(CommandTimeoutError);
      const b = await timed(() => closed.check('p'));
      // Closed asks callers back after the shortest window.
      expect(b.value).toMatchObject({ allowed: false, source: 'fail-closed', remaining: 0, retryAfterMs: 60_000 });
      const c = await timed(() => strict.check('p').catch((e: unknown) => e));
      expect(c.value).toBeInstanceOf(CommandTimeoutError);
      for (const { ms } of [a, b, c]) {
        expect(ms).toBeGreaterThanOrEqual(250);
        expect(ms).toBeLessThan(1500);
      }
      server.resume();
      // Back to Redis answers once it resumes.
      const deadline = Date.now() + 5000;
      let after = await open.check('q');
      while (after.source !== 'redis' && Date.now() < deadline) after = await open.check('q');
      expect(after.source).toBe('redis');
    } finally {
      server.resume();
      close();
    }
  });

  it('a stopped server: the policy answers within the timeout (unavailable or timed out)', async () => {
    const server = await startRedis();
    servers.push(server);
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 5000 });
    try {
      const closed = limiterOn(connection, 'closed');
      const strict = limiterOn(connection, 'throw');
      await closed.check('p');
      await server.stop();
      const r = await timed(() => closed.check('p'));
      expect(r.value.allowed).toBe(false);
      expect(r.value.source).toBe('fail-closed');
      expect(r.ms).toBeLessThan(1500);
      const e = await timed(() => strict.check('p').catch((err: unknown) => err));
      expect(e.value instanceof RedisUnavailableError || e.value instanceof CommandTimeoutError).toBe(true);
      expect(e.ms).toBeLessThan(1500);
    } finally {
      close();
    }
  });
});

describe(`rate-limit block cache on ${target} via ${driver}`, () => {
  it('answers a blocked identity locally until retryAfterMs, then asks Redis again', async () => {
    const connection = await testConnection();
    const bucket = new TokenBucketLimiter({ connection, capacity: 2, refillRate: 1, refillIntervalMs: 400, blockCache: true });
    await bucket.check('spammer');
    await bucket.check('spammer');
    const first = await bucket.check('spammer');
    expect(first).toMatchObject({ allowed: false, source: 'redis' });
    const { result, total } = await countCommands(connection, () => bucket.check('spammer'));
    expect(total).toBe(0);
    expect(result).toMatchObject({ allowed: false, source: 'block-cache', remaining: 0 });
    expect(result.retryAfterMs).toBeLessThanOrEqual(first.retryAfterMs);
    // Other identities still go to Redis.
    expect((await countCommands(connection, () => bucket.check('someone'))).byCommand.evalsha).toBe(1);
    await new Promise((r) => setTimeout(r, first.retryAfterMs + 20));
    const later = await countCommands(connection, () => bucket.check('spammer'));
    expect(later.byCommand.evalsha).toBe(1);
    expect(later.result).toMatchObject({ allowed: true, source: 'redis' });
  });

  it('a cached rejection keeps the durations Redis gave, for every limit, aged by the time since', async () => {
    const connection = await testConnection();
    // A sliding log, not a fixed window: its waits start at the hit, not at a clock boundary.
    const api = new SlidingWindowLogLimiter({
      connection,
      name: 'aged',
      limits: [
        { limit: 1, windowMs: 60_000 },
        { limit: 5, windowMs: 120_000 },
      ],
      blockCache: true,
    });
    await api.check('x');
    const started = performance.now();
    const first = await api.check('x');
    expect(first).toMatchObject({ allowed: false, source: 'redis' });
    await new Promise((r) => setTimeout(r, 50));
    const cached = await api.check('x');
    // The cache ages the durations by at most the time between the two calls, however long that took.
    const between = Math.ceil(performance.now() - started);
    expect(cached.source).toBe('block-cache');
    expect(cached.retryAfterMs).toBeGreaterThanOrEqual(first.retryAfterMs - between);
    expect(cached.retryAfterMs).toBeLessThan(first.retryAfterMs);
    expect(cached.limits[0]?.retryAfterMs).toBeGreaterThanOrEqual((first.limits[0]?.retryAfterMs ?? 0) - between);
    expect(cached.limits).toHaveLength(2);
    expect(cached.limits[0]).toMatchObject({ limit: 1, remaining: 0, windowMs: 60_000 });
    expect(cached.limits[0]?.retryAfterMs).toBeGreaterThan(50_000);
    expect(cached.limits[0]?.resetMs).toBeGreaterThan(50_000);
    expect(cached.limits[1]).toMatchObject({ limit: 5, remaining: 4, retryAfterMs: 0, windowMs: 120_000 });
    expect(cached.limits[1]?.resetMs).toBeGreaterThan(110_000);
  });

  it('keeps maxEntries rejections: the one past them pushes out the oldest, which asks Redis again', async () => {
    const connection = await testConnection();
    const api = new FixedWindowLimiter({ connection, name: 'bounded', limit: 1, windowMs: 60_000, blockCache: { maxEntries: 2 } });
    const block = async (identity: string) => {
      await api.check(identity);
      expect((await api.check(identity)).source).toBe('redis');
    };
    const sent = async (identity: string) => (await countCommands(connection, () => api.check(identity))).byCommand.evalsha ?? 0;
    await block('a');
    await block('b');
    expect(await sent('a')).toBe(0);
    expect(await sent('b')).toBe(0);
    await block('c');
    expect(await sent('c')).toBe(0);
    expect(await sent('b')).toBe(0);
    expect(await sent('a')).toBe(1);
  });

  it('throws error replies that mean a bug (WRONGTYPE) whatever the policy; algorithms sharing a name never share keys', async () => {
    const connection = await testConnection();
    const fixed = new FixedWindowLimiter({ connection, name: 'shared', limit: 3, windowMs: 60_000, outagePolicy: 'open' });
    const bucket = new TokenBucketLimiter({ connection, name: 'shared', capacity: 3, refillRate: 1 });
    await fixed.check('x');
    expect((await bucket.check('x')).remaining).toBe(2);
    const key = connection.keys('rate-limit').key('x', 'shared', 'fw0');
    await connection.send(['DEL', key], key);
    await connection.send(['HSET', key, 'not', 'a counter'], key);
    await expect(fixed.check('x')).rejects.toBeInstanceOf(RedisCommandError);
  });

  it('is off by default, and reset or reward clear the block', async () => {
    const connection = await testConnection();
    const plain = new FixedWindowLimiter({ connection, name: 'plain', limit: 1, windowMs: 60_000 });
    await plain.check('x');
    await plain.check('x');
    expect((await countCommands(connection, () => plain.check('x'))).byCommand.evalsha).toBe(1);
    const cached = new FixedWindowLimiter({ connection, name: 'cached', limit: 1, windowMs: 60_000, blockCache: { maxEntries: 2 } });
    await cached.check('x');
    expect((await cached.check('x')).source).toBe('redis');
    expect((await cached.check('x')).source).toBe('block-cache');
    await cached.reward('x', 1);
    expect((await cached.check('x')).allowed).toBe(true);
    expect((await cached.check('x')).source).toBe('redis');
    await cached.reset('x');
    expect((await cached.check('x')).allowed).toBe(true);
  });
});

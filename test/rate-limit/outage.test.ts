import { describe, expect, it } from 'vitest';
import { redisCli } from '../../scripts/lib/redis-servers.js';
import {
  CommandTimeoutError,
  RedisCommandError,
  type RedisConnection,
  type RedisPatternsError,
  RedisUnavailableError,
} from '../../src/index.js';
import {
  FixedWindowLimiter,
  type OutageEvent,
  type OutagePolicy,
  SlidingWindowLogLimiter,
  TokenBucketLimiter,
} from '../../src/rate-limit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { clearOfBoundary } from './algorithms.js';

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

// Keeps the server running a script for 1 s. Valkey's TIME stands still inside a script, so there
// the loop reads os.clock (CPU time, which Redis 7.0's sandbox does not offer: there it reads TIME).
const BUSY_SCRIPT = [
  'local ok, clock = pcall(function() return os.clock end)',
  "local function now() if ok then return clock() * 1000000 end local t = redis.call('TIME') return t[1] * 1000000 + t[2] end",
  'local s = now() repeat until now() - s > 1000000',
].join('\n');

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

describe(`rate-limit outage policy via ${driver}`, () => {
  const startServer = privateServers();

  it('a frozen server: fail-open allows, fail-closed rejects, throw rejects with CommandTimeoutError, all within the timeout', async () => {
    const server = await startServer();
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

  it("the shorter of the limiter's timeoutMs and the connection's bounds the wait, and a connection that waits forever takes the limiter's", async () => {
    const server = await startServer();
    const patient = await privateConnection(server, { commandTimeoutMs: 0 });
    const brisk = await privateConnection(server, { commandTimeoutMs: 300 });
    const window = { limit: 5, windowMs: 60_000, outagePolicy: 'closed' as const };
    try {
      const own = new FixedWindowLimiter({ connection: patient.connection, name: 'own-bound', ...window, timeoutMs: 300 });
      const longer = new FixedWindowLimiter({ connection: brisk.connection, name: 'longer-bound', ...window, timeoutMs: 20_000 });
      expect((await own.check('p')).source).toBe('redis');
      expect((await longer.check('p')).source).toBe('redis');
      server.pause();
      // Both would wait 20 s or forever if the wrong bound applied; the race turns that into a failure.
      const within = <T>(call: Promise<T>) =>
        Promise.race([call, new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 3000))]);
      const [a, b] = await Promise.all([timed(() => within(own.check('p'))), timed(() => within(longer.check('p')))]);
      expect(a.value).toMatchObject({ allowed: false, source: 'fail-closed' });
      expect(b.value).toMatchObject({ allowed: false, source: 'fail-closed' });
      for (const { ms } of [a, b]) expect(ms).toBeLessThan(1500);
    } finally {
      server.resume();
      patient.close();
      brisk.close();
    }
  });

  it('a rejection of the outage policy is not kept by the block cache: the next check after the outage asks Redis', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 300 });
    try {
      const limiter = new FixedWindowLimiter({ connection, limit: 5, windowMs: 60_000, outagePolicy: 'closed', blockCache: true });
      await clearOfBoundary(connection, 60_000);
      expect((await limiter.check('p')).source).toBe('redis');
      server.pause();
      expect(await limiter.check('p')).toMatchObject({ allowed: false, source: 'fail-closed', retryAfterMs: 60_000 });
      server.resume();
      const deadline = Date.now() + 5000;
      let after = await limiter.check('p');
      while (after.source === 'fail-closed' && Date.now() < deadline) after = await limiter.check('p');
      expect(after).toMatchObject({ allowed: true, source: 'redis' });
    } finally {
      server.resume();
      close();
    }
  });

  it('error replies that mean "not now" (READONLY, MASTERDOWN, BUSY) are outages the policy answers', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 5000 });
    const events: OutageEvent[] = [];
    const make = (outagePolicy: OutagePolicy) => {
      const limiter = new FixedWindowLimiter({
        connection,
        name: `reply-${String(outagePolicy)}`,
        limit: 5,
        windowMs: 60_000,
        outagePolicy,
      });
      limiter.on('outage', (e) => events.push(e));
      return limiter;
    };
    const open = make('open');
    const closed = make('closed');
    const strict = make('throw');
    try {
      // A replica (of a primary that is not there): scripts that write are refused with READONLY.
      await redisCli(server.port, 'REPLICAOF', '127.0.0.1', '1');
      // Open: the whole limit, nothing to wait for. Closed: come back after the window.
      expect(await open.check('p')).toMatchObject({ allowed: true, source: 'fail-open', remaining: 5, resetMs: 0, retryAfterMs: 0 });
      expect(await closed.check('p')).toMatchObject({
        allowed: false,
        source: 'fail-closed',
        remaining: 0,
        resetMs: 60_000,
        retryAfterMs: 60_000,
      });
      const readOnly = await strict.check('p').catch((e: unknown) => e);
      expect(readOnly).toBeInstanceOf(RedisCommandError);
      expect((readOnly as Error).message).toMatch(/^READONLY /);
      expect(events.map((e) => [e.policy, e.error.message.split(' ')[0]])).toEqual([
        ['open', 'READONLY'],
        ['closed', 'READONLY'],
      ]);
      // A replica that may not serve stale data refuses every command with MASTERDOWN.
      await redisCli(server.port, 'CONFIG', 'SET', 'replica-serve-stale-data', 'no');
      expect(await closed.check('p')).toMatchObject({ allowed: false, source: 'fail-closed' });
      expect(events[2]?.error.message).toMatch(/^MASTERDOWN /);
      expect(events[2]?.error).toBeInstanceOf(RedisCommandError);
      // A script running past busy-reply-threshold makes the server answer BUSY.
      await redisCli(server.port, 'REPLICAOF', 'NO', 'ONE');
      await redisCli(server.port, 'CONFIG', 'SET', 'replica-serve-stale-data', 'yes');
      await redisCli(server.port, 'CONFIG', 'SET', 'busy-reply-threshold', '100');
      const busy = redisCli(server.port, 'EVAL', BUSY_SCRIPT, '0');
      await new Promise((r) => setTimeout(r, 300));
      expect(await open.check('p')).toMatchObject({ allowed: true, source: 'fail-open' });
      expect(events[3]?.error.message).toMatch(/^BUSY /);
      await busy;
      expect(events).toHaveLength(4);
      // Back to Redis answers: the refused checks took nothing.
      expect(await open.check('p')).toMatchObject({ allowed: true, source: 'redis', remaining: 4 });
    } finally {
      close();
    }
  });

  it('a stopped server: the policy answers within the timeout (unavailable or timed out)', async () => {
    const server = await startServer();
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
    await clearOfBoundary(connection, 60_000);
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
    await clearOfBoundary(connection, 60_000);
    const bucket = new TokenBucketLimiter({ connection, name: 'shared', capacity: 3, refillRate: 1 });
    await fixed.check('x');
    expect((await bucket.check('x')).remaining).toBe(2);
    const key = connection.keys('rate-limit').key('x', 'shared', 'fw0');
    await connection.send(['DEL', key], key);
    await connection.send(['HSET', key, 'not', 'a counter'], key);
    await expect(fixed.check('x')).rejects.toBeInstanceOf(RedisCommandError);
  });

  it('keeps only rejections of a single unit: a larger cost that does not fit says nothing of a smaller one', async () => {
    const connection = await testConnection();
    const bucket = new TokenBucketLimiter({
      connection,
      name: 'heavy',
      capacity: 3,
      refillRate: 1,
      refillIntervalMs: 60_000,
      blockCache: true,
    });
    await bucket.check('x', { cost: 2 });
    expect(await bucket.check('x', { cost: 2 })).toMatchObject({ allowed: false, source: 'redis' });
    const single = await countCommands(connection, () => bucket.check('x'));
    expect(single.byCommand.evalsha).toBe(1);
    expect(single.result).toMatchObject({ allowed: true, source: 'redis', remaining: 0 });
  });

  it('is off by default, and reset or reward clear the block', async () => {
    const connection = await testConnection();
    const plain = new FixedWindowLimiter({ connection, name: 'plain', limit: 1, windowMs: 60_000 });
    await clearOfBoundary(connection, 60_000);
    await plain.check('x');
    await plain.check('x');
    expect((await countCommands(connection, () => plain.check('x'))).byCommand.evalsha).toBe(1);
    const cached = new FixedWindowLimiter({ connection, name: 'cached', limit: 1, windowMs: 60_000, blockCache: { maxEntries: 2 } });
    await clearOfBoundary(connection, 60_000);
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

import { describe, expect, it, vi } from 'vitest';
import { EvictionPolicyError, RedisConnection, type RedisConnectionOptions, ValidationError } from '../../src/index.js';
import { LockNotAcquiredError, Redlock } from '../../src/lock/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { closeAfterAll, driver, rawClient, topology, uniquePrefix } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { expectInvalid } from '../harness/validation.js';
import { expectRejectedBeforeSending } from './expect-validation.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lockKey = (c: RedisConnection, resource: string) => c.keys('lock').key(resource, 'redlock');

// Redlock runs on independent servers whatever the project's target; the driver still varies.
async function independentConnections() {
  const prefix = uniquePrefix();
  return Promise.all(
    topology().independentUrls.map(async (url) => RedisConnection.from(await rawClient({ target: 'standalone', url }), { prefix })),
  );
}

describe(`Redlock over 3 independent servers via ${driver}`, () => {
  const startServer = privateServers();

  // Three private servers started alike, each with a connection closed after the file's tests.
  async function privateTrio(options: RedisConnectionOptions, ...start: Parameters<typeof startServer>) {
    const trio = await Promise.all([0, 1, 2].map(() => startServer(...start)));
    const conns = await Promise.all(trio.map((s) => privateConnection(s, options)));
    for (const c of conns) closeAfterAll({ close: async () => c.close() });
    return { servers: trio, connections: conns.map((c) => c.connection) };
  }

  it('grants one holder on all servers, refuses a second, and frees on release', async () => {
    const connections = await independentConnections();
    const redlock = new Redlock({ connections, ttlMs: 5000, retryCount: 0 });
    const lease = await redlock.acquire('nightly-report');
    expect(lease.remainingMs()).toBeGreaterThan(4000);
    for (const c of connections) expect(await c.send(['GET', c.keys('lock').key('nightly-report', 'redlock')], 'x')).toBe(lease.owner);
    await expect(redlock.acquire('nightly-report')).rejects.toBeInstanceOf(LockNotAcquiredError);
    expect(await lease.extend(8000)).toBe(true);
    expect(await lease.release()).toBe(true);
    const next = await redlock.tryAcquire('nightly-report');
    expect(next).not.toBeNull();
    // One SET per server to acquire.
    await next?.release();
    const { result, byCommand } = await countCommands(connections[0] as RedisConnection, () => redlock.tryAcquire('counted'));
    expect(result).not.toBeNull();
    expect(byCommand.set).toBe(1);
  });

  it('a minority grant is released on every server at once, not left to expire', async () => {
    const connections = await independentConnections();
    const [a, b, c] = connections as [RedisConnection, RedisConnection, RedisConnection];
    const key = (conn: RedisConnection) => conn.keys('lock').key('contested', 'redlock');
    // Someone else holds it on two servers.
    await a.send(['SET', key(a), 'other', 'PX', 30000]);
    await b.send(['SET', key(b), 'other', 'PX', 30000]);
    const redlock = new Redlock({ connections, ttlMs: 30000, retryCount: 1, retryDelayMs: 10 });
    await expect(redlock.acquire('contested')).rejects.toBeInstanceOf(LockNotAcquiredError);
    expect(await c.send(['EXISTS', key(c)])).toBe(0);
    expect(await a.send(['GET', key(a)])).toBe('other');
  });

  it('holds with one of three servers down, fails with two down', async () => {
    const { servers: trio, connections } = await privateTrio({ commandTimeoutMs: 300, prefix: 'p' });
    const redlock = new Redlock({ connections, ttlMs: 10000, retryCount: 1, retryDelayMs: 20 });
    await trio[0]?.stop();
    const lease = await redlock.acquire('one-down');
    expect(lease.remainingMs()).toBeGreaterThan(8000);
    expect(await lease.release()).toBe(true);
    await trio[1]?.stop();
    const started = Date.now();
    const err = await redlock.acquire('two-down').catch((e) => e);
    expect(err).toBeInstanceOf(LockNotAcquiredError);
    expect((err as Error).cause).toBeInstanceOf(AggregateError);
    // The errors of the two stopped servers, not the answer of the live one.
    const cause = (err as Error).cause as AggregateError;
    expect(cause.message).toBe('server errors of the last attempt');
    expect(cause.errors).toHaveLength(2);
    for (const e of cause.errors) expect(e).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a failed attempt with frozen servers answers within one command timeout, not two', async () => {
    const { servers: trio, connections } = await privateTrio({ commandTimeoutMs: 1000, prefix: 'p' });
    const redlock = new Redlock({ connections, ttlMs: 10000, retryCount: 0 });
    trio[1]?.pause();
    trio[2]?.pause();
    try {
      const started = Date.now();
      expect(await redlock.tryAcquire('frozen')).toBeNull();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(950);
      // Awaiting the releases of the failed round would wait out the 1000 ms timeout again.
      expect(took).toBeLessThan(1900);
    } finally {
      trio[1]?.resume();
      trio[2]?.resume();
    }
    // The partial grant on the live server was released: the lock is free again.
    await new Promise((r) => setTimeout(r, 50));
    expect(await connections[0]?.send(['EXISTS', connections[0].keys('lock').key('frozen', 'redlock')])).toBe(0);
  });

  it('does not grant a lock when acquiring took longer than the TTL', async () => {
    const { servers: trio, connections } = await privateTrio({ commandTimeoutMs: 700, prefix: 'p' });
    const redlock = new Redlock({ connections, ttlMs: 400, retryCount: 0 });
    trio[2]?.pause(); // replies from it take until the 700 ms timeout
    try {
      const started = Date.now();
      const lease = await redlock.tryAcquire('slow');
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(lease).toBeNull();
    } finally {
      trio[2]?.resume();
    }
    // With the third server answering again the same TTL is granted.
    expect(await redlock.tryAcquire('slow-2')).not.toBeNull();
  });

  it('using() hands fn the lease, extends it on every server at the per-call TTL past that TTL, and releases', async () => {
    const connections = await independentConnections();
    const redlock = new Redlock({ connections, ttlMs: 30000, retryCount: 0 });
    const result = await redlock.using(
      'batch',
      async ({ signal, lease }) => {
        for (const c of connections) expect(await c.send(['GET', lockKey(c, 'batch')], 'x')).toBe(lease.owner);
        // Four extensions (every 500 ms) outlast the 1500 ms TTL: only extending at that TTL keeps it.
        let extensions = 0;
        let last = lease.remainingMs();
        while (extensions < 4) {
          signal.throwIfAborted();
          await sleep(20);
          const remaining = lease.remainingMs();
          if (remaining > last) extensions++;
          last = remaining;
        }
        for (const c of connections) expect(Number(await c.send(['PTTL', lockKey(c, 'batch')], 'x'))).toBeLessThanOrEqual(1500);
        return 'report';
      },
      { ttlMs: 1500 },
    );
    expect(result).toBe('report');
    expect(await redlock.tryAcquire('batch')).not.toBeNull();
  });

  it('extend and release count only servers where this owner still held the lock', async () => {
    const connections = await independentConnections();
    const [a, b] = connections as [RedisConnection, RedisConnection, RedisConnection];
    const redlock = new Redlock({ connections, ttlMs: 30000, retryCount: 0 });
    const lease = await redlock.acquire('taken-over');
    // Its keys expired on two servers and someone else took them there: a minority is left.
    for (const c of [a, b]) await c.send(['SET', lockKey(c, 'taken-over'), 'other', 'PX', 30000]);
    expect(await lease.extend()).toBe(false);
    expect(await lease.release()).toBe(false);
    expect(await a.send(['GET', lockKey(a, 'taken-over')])).toBe('other');
  });

  it('a refused acquire says how many servers and attempts, and has no cause when every server answered', async () => {
    const connections = await independentConnections();
    const redlock = new Redlock({ connections, ttlMs: 30000, retryCount: 1, retryDelayMs: 10 });
    await redlock.acquire('held');
    const err = await redlock.acquire('held').catch((e) => e);
    expect(err).toBeInstanceOf(LockNotAcquiredError);
    expect(err.message).toBe('held: no majority of 3 servers after 2 attempts');
    expect(err.cause).toBeUndefined();
  });

  it('waits retryDelayMs between attempts, and not before the first', async () => {
    const connections = await independentConnections();
    const slow = new Redlock({ connections, ttlMs: 30000, retryCount: 2, retryDelayMs: 400, retryJitterMs: 0 });
    let started = Date.now();
    await slow.acquire('paced');
    expect(Date.now() - started).toBeLessThan(300);
    started = Date.now();
    await expect(slow.acquire('paced')).rejects.toBeInstanceOf(LockNotAcquiredError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(790);
  });

  it('publishes tryAcquire, acquire, extend and release with their outcomes', async () => {
    const connections = await independentConnections();
    const redlock = new Redlock({ connections, ttlMs: 30000, retryCount: 0 });
    const seen = await tracedOperations('lock', async () => {
      const lease = await redlock.acquire('traced');
      expect(await redlock.tryAcquire('traced')).toBeNull();
      await lease.extend();
      await lease.release();
      await lease.release();
    });
    expect(seen.map((c) => [c.operation, c.outcome, c.attributes.kind])).toEqual([
      ['acquire', 'acquired', 'redlock'],
      ['tryAcquire', 'busy', 'redlock'],
      ['extend', 'extended', 'redlock'],
      ['release', 'released', 'redlock'],
      ['release', 'not-held', 'redlock'],
    ]);
  });

  it('refuses to lock on servers that may evict its keys, under strict eviction checks', async () => {
    const { connections } = await privateTrio(
      { evictionCheck: 'strict', prefix: 'e' },
      { extraArgs: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] },
    );
    const redlock = new Redlock({ connections, ttlMs: 10000, retryCount: 0 });
    // An evicted key would free the lock while its holder still works under it.
    expect(await redlock.tryAcquire('evictable')).toBeNull();
    const err = await redlock.acquire('evictable').catch((e) => e);
    expect(err).toBeInstanceOf(LockNotAcquiredError);
    for (const e of (err.cause as AggregateError).errors) expect(e).toBeInstanceOf(EvictionPolicyError);
  });

  it('adds up to retryJitterMs at random to each pause', async () => {
    const connections = await independentConnections();
    const redlock = new Redlock({ connections, ttlMs: 30000, retryCount: 1, retryDelayMs: 0, retryJitterMs: 500 });
    await redlock.acquire('jittered');
    // The largest draw: the pause is (almost) the whole jitter.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.999);
    try {
      const started = Date.now();
      await expect(redlock.acquire('jittered')).rejects.toBeInstanceOf(LockNotAcquiredError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(480);
    } finally {
      random.mockRestore();
    }
  });

  it('rejects bad input before sending anything', async () => {
    const connections = await independentConnections();
    const redlock = new Redlock({ connections });
    const bad: [string, () => Promise<unknown>][] = [
      ['resource', () => redlock.acquire('')],
      ['ttlMs', () => redlock.acquire('r', { ttlMs: 0 })],
      ['ttlMs', () => redlock.acquire('r', { ttlMs: Number.POSITIVE_INFINITY })],
      ['retryCount', () => redlock.acquire('r', { retryCount: -1 })],
      ['resource', () => redlock.tryAcquire('x'.repeat(1025))],
      ['signal', () => redlock.acquire('r', { signal: 'stop' as never })],
    ];
    await expectRejectedBeforeSending(connections[0] as RedisConnection, bad);
    expect(() => new Redlock({ connections, retryCount: -1 })).toThrow(ValidationError);
    await expectInvalid(() => new Redlock({ connections: [] }), 'connections');
    await expectInvalid(() => new Redlock({ connections, ttlMs: 0 }), 'ttlMs');
    await expectInvalid(() => new Redlock({ connections, retryCount: 1.5 }), 'retryCount');
    await expectInvalid(() => new Redlock({ connections, retryDelayMs: -1 }), 'retryDelayMs');
    await expectInvalid(() => new Redlock({ connections, retryJitterMs: -1 }), 'retryJitterMs');
  });
});

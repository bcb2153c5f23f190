import { afterAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisPatternsError, RedisUnavailableError } from '../../src/index.js';
import { FencedLock, LockLostError, SlotHold } from '../../src/lock/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';

describe(`lock with Redis down via ${driver}`, () => {
  const servers: RedisServer[] = [];
  const closers: (() => void)[] = [];
  afterAll(async () => {
    for (const c of closers) c();
    await Promise.all(servers.map((s) => s.stop()));
  });
  async function server(commandTimeoutMs: number) {
    const s = await startRedis();
    servers.push(s);
    const { connection, close } = await privateConnection(s, { commandTimeoutMs, prefix: 'p' });
    closers.push(close);
    return { server: s, connection };
  }

  it('a stopped server: acquire rejects with a typed error within the timeout, never a lock', async () => {
    const { server: s, connection } = await server(400);
    const locks = new FencedLock({ connection });
    expect(await locks.tryAcquire('warm')).not.toBeNull();
    await s.stop();
    for (const call of [
      () => locks.acquire('refill'),
      () => locks.tryAcquire('refill'),
      () => new SlotHold({ connection }).hold('s', 'p'),
    ]) {
      const started = Date.now();
      const err = await call().catch((e) => e);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(err).toBeInstanceOf(RedisPatternsError);
      expect(err instanceof RedisUnavailableError || err instanceof CommandTimeoutError).toBe(true);
    }
  });

  it('a frozen server: CommandTimeoutError within the timeout', async () => {
    const { server: s, connection } = await server(300);
    const locks = new FencedLock({ connection });
    await locks.tryAcquire('warm');
    s.pause();
    try {
      const started = Date.now();
      const err = await locks.acquire('frozen').catch((e) => e);
      expect(err).toBeInstanceOf(CommandTimeoutError);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      s.resume();
    }
  });

  it('using() aborts its signal with LockLostError when Redis freezes past the validity', async () => {
    const { server: s, connection } = await server(250);
    const locks = new FencedLock({ connection, ttlMs: 600 });
    let aborted: unknown;
    const run = locks.using('job', async ({ signal }) => {
      s.pause();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted = signal.reason;
    });
    try {
      const started = Date.now();
      await expect(run).rejects.toBeInstanceOf(LockLostError);
      expect(aborted).toBeInstanceOf(LockLostError);
      // Lost no later than the validity (600 ms) plus timer slack; the release afterwards times out quietly.
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      s.resume();
    }
  });
});

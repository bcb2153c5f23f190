import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, RedisPatternsError, RedisUnavailableError } from '../../src/index.js';
import { FencedLock, LockLostError, SlotHold } from '../../src/lock/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { closeAfterAll, driver } from '../harness/redis.js';

describe(`lock with Redis down via ${driver}`, () => {
  const startServer = privateServers();
  async function server(commandTimeoutMs: number) {
    const s = await startServer();
    const { connection, close } = await privateConnection(s, { commandTimeoutMs, prefix: 'p' });
    closeAfterAll({ close: async () => close() });
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

  it('using() is told the lock is lost when the validity runs out, even if the hung extension would time out much later', async () => {
    const { server: s, connection } = await server(10000);
    const locks = new FencedLock({ connection, ttlMs: 600 });
    let aborted: unknown;
    let abortedAfterMs = Number.POSITIVE_INFINITY;
    const started = Date.now();
    const run = locks.using('hung', async ({ signal }) => {
      s.pause();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      abortedAfterMs = Date.now() - started;
      aborted = signal.reason;
      s.resume(); // lets the release at the end go through
    });
    try {
      await expect(run).rejects.toBeInstanceOf(LockLostError);
    } finally {
      s.resume();
    }
    expect((aborted as Error).message).toBe('hung: validity ran out before an extension succeeded');
    // Told at the validity's end, well before the 10 s command timeout.
    expect(abortedAfterMs).toBeLessThan(5000);
  });

  it('using() rides out extensions that fail while validity is left, retrying sooner than every third of the TTL', async () => {
    const { connection } = await server(2000);
    const locks = new FencedLock({ connection, ttlMs: 3000, driftFactor: 0.1 });
    const denyScripts = () => connection.send(['ACL', 'SETUSER', 'default', '-evalsha', '-eval']);
    const allowScripts = () => connection.send(['ACL', 'SETUSER', 'default', '+evalsha', '+eval']);
    try {
      const result = await locks.using('flaky', async ({ signal, lease }) => {
        // Every extension fails at once (NOPERM) until allowed again, which is after the one a
        // third of the TTL after the first failure would have been sent.
        await denyScripts();
        while (lease.remainingMs() >= 600) {
          signal.throwIfAborted();
          await new Promise((r) => setTimeout(r, 10));
        }
        await allowScripts();
        // A retry within the validity left extends it again.
        while (lease.remainingMs() < 1500) {
          signal.throwIfAborted();
          await new Promise((r) => setTimeout(r, 10));
        }
        return 'kept';
      });
      expect(result).toBe('kept');
    } finally {
      await allowScripts();
    }
  });

  // An extension still in flight when fn returns settles after the lease was released: it must
  // not abort the signal of a run that already completed (fn may have left listeners on it).
  for (const [settles, commandTimeoutMs] of [
    ['succeeds', 10000],
    ['times out', 1500],
  ] as const) {
    it(`an extension in flight when fn returns that ${settles} afterwards does not abort the finished run's signal`, async () => {
      const { server: s, connection } = await server(commandTimeoutMs);
      const locks = new FencedLock({ connection, ttlMs: 3000 });
      let abortedAfterReturn = false;
      let returned = false;
      const run = locks.using('in-flight', async ({ signal, lease }) => {
        s.pause();
        // The first extension goes out a third of the TTL in, and hangs on the paused server.
        while (lease.remainingMs() > 1800) await new Promise((r) => setTimeout(r, 10));
        signal.addEventListener('abort', () => {
          if (returned) abortedAfterReturn = true;
        });
        returned = true;
        return 'done';
      });
      try {
        while (!returned) await new Promise((r) => setTimeout(r, 10));
        if (commandTimeoutMs > 3000) s.resume(); // the late extension is answered before the release
        expect(await run).toBe('done');
      } finally {
        s.resume();
      }
      expect(abortedAfterReturn).toBe(false);
    });
  }
});

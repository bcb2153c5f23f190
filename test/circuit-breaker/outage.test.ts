import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions, CircuitOpenError } from '../../src/circuit-breaker/index.js';
import { CommandTimeoutError, type RedisConnection, RedisPatternsError, RedisUnavailableError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';
import { attempt, closedEmptyLocal, down, ok, sleep } from './helpers.js';

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
  const startServer = privateServers();

  async function setup(extra: Partial<CircuitBreakerOptions> = {}) {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 500 });
    const breaker = new CircuitBreaker({ connection, ...options, ...extra });
    const unavailable: Error[] = [];
    const restored: number[] = [];
    breaker.on('redisUnavailable', ({ error }) => unavailable.push(error));
    breaker.on('redisRestored', () => restored.push(Date.now()));
    return { server, connection, breaker, close, unavailable, restored };
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
      await startServer({ port: server.port });
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

  it("waits for Redis redisTimeoutMs, never longer than the connection's commandTimeoutMs, also when that is unlimited", async () => {
    // The connection gives up after 500 ms: a longer redisTimeoutMs does not make the call wait longer.
    const { server, breaker: capped, close, unavailable } = await setup({ redisTimeoutMs: 5000 });
    const unlimited = await privateConnection(server, { commandTimeoutMs: 0 });
    const own = new CircuitBreaker({ connection: unlimited.connection, ...options, redisTimeoutMs: 300 });
    try {
      expect(await capped.execute(ok)).toBe('ok');
      expect(await own.execute(ok)).toBe('ok');
      await Promise.all([capped.flush(), own.flush()]); // no success left to send on its own during the freeze
      server.pause();
      for (const [breaker, least] of [
        [capped, 450],
        [own, 250],
      ] as const) {
        const started = Date.now();
        expect(await breaker.execute(ok)).toBe('ok');
        const elapsed = Date.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(least);
        expect(elapsed).toBeLessThan(least + 1500);
        expect(breaker.mode).toBe('local');
      }
      expect(unavailable[0]).toBeInstanceOf(CommandTimeoutError);
    } finally {
      server.resume();
      unlimited.close();
      close();
    }
  });

  it('close() waits for the background read of Redis in flight', async () => {
    const { server, breaker, close } = await setup({ redisTimeoutMs: 400, redisRetryMs: 300 });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      await breaker.flush();
      server.pause();
      expect(await breaker.execute(ok)).toBe('ok'); // waits 400 ms, then goes local
      await sleep(350);
      expect(await breaker.execute(ok)).toBe('ok'); // starts the background read, which waits 400 ms
      const started = Date.now();
      await breaker.close();
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(breaker.mode).toBe('local');
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
      expect((err as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(60_000);
      expect(unavailable).toHaveLength(1);
      // Manual changes still act on this instance, and say that Redis did not get them.
      await expect(breaker.forceClose()).rejects.toBeInstanceOf(RedisPatternsError);
      expect(breaker.state).toBe('closed');
      expect(unavailable).toHaveLength(1); // one outage, one event
      expect(await breaker.execute(ok)).toBe('ok');
    } finally {
      close();
    }
  });

  /** A call that runs until `settle` is called with its outcome. */
  function controlled(): { call: () => Promise<string>; settle: (ok: boolean) => void } {
    let settle!: (ok: boolean) => void;
    const outcome = new Promise<boolean>((r) => {
      settle = r;
    });
    return {
      call: async () => {
        if (await outcome) return 'ok';
        throw new Error('call failed');
      },
      settle,
    };
  }

  it('on local state, the same rules: a count window, the open period, probe leases, and a probe deciding', async () => {
    const { server, breaker, close, unavailable } = await setup({
      failureThreshold: 3,
      openMs: 400,
      halfOpenMaxProbes: 2,
      timeoutMs: 0,
      probeLeaseMs: 1000,
      redisRetryMs: 600_000,
    });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      await breaker.flush(); // nothing left to send when Redis goes away
      await server.stop();
      await attempt(breaker, down);
      expect(breaker.mode).toBe('local');
      await attempt(breaker, down);
      expect(await breaker.execute(ok)).toBe('ok');
      expect(await breaker.status()).toEqual({
        state: 'closed',
        retryAfterMs: 0,
        successes: 1,
        failures: 2,
        probesInFlight: 0,
        source: 'local',
      });
      const admittedClosed = controlled();
      const lateOutcome = attempt(breaker, admittedClosed.call);
      await attempt(breaker, down); // the third failure opens it, with an empty window
      const open = await breaker.status();
      expect(open).toMatchObject({ state: 'open', successes: 0, failures: 0, source: 'local' });
      expect(open.retryAfterMs).toBeGreaterThan(0);
      expect(open.retryAfterMs).toBeLessThanOrEqual(400);
      const rejected = await attempt(breaker, ok);
      expect(rejected).toMatchObject({ state: 'open' });
      expect((rejected as CircuitOpenError).retryAfterMs).toBeGreaterThan(0);
      expect((rejected as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(400);
      // The outcome of a call admitted before the opening changes nothing.
      admittedClosed.settle(false);
      expect(await lateOutcome).toMatchObject({ message: 'call failed' });
      expect(breaker.state).toBe('open');
      expect(await breaker.status()).toMatchObject({ state: 'open', failures: 0 });
      await sleep(450);
      // Half-open: two probes, taken 500 ms apart; the first never reports back.
      void breaker.execute(() => new Promise<string>(() => {}));
      expect(breaker.state).toBe('half-open');
      await sleep(500);
      const second = controlled();
      const secondDone = attempt(breaker, second.call);
      const full = await attempt(breaker, ok);
      expect(full).toMatchObject({ state: 'half-open' });
      // The wait is until the first lease ends (at most 500 ms away), not the second.
      expect((full as CircuitOpenError).retryAfterMs).toBeGreaterThan(0);
      expect((full as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(500);
      expect(await breaker.status()).toMatchObject({ state: 'half-open', probesInFlight: 2, source: 'local' });
      await sleep((full as CircuitOpenError).retryAfterMs + 50);
      // The first lease has ended: status counts only the second, and one slot is free.
      expect((await breaker.status()).probesInFlight).toBeLessThanOrEqual(1);
      const events: string[] = [];
      breaker.on('opened', ({ retryAfterMs }) => events.push(`opened ${retryAfterMs}`));
      breaker.on('closed', () => events.push('closed'));
      expect(await attempt(breaker, down)).toMatchObject({ message: 'service unavailable' }); // a failed probe opens it again
      expect(events).toEqual(['opened 400']);
      // The second probe reports late, after the opening: it decides nothing.
      second.settle(true);
      expect(await secondDone).toBe('ok');
      expect(breaker.state).toBe('open');
      expect((await breaker.status()).state).toBe('open');
      await sleep(450);
      expect(await breaker.execute(ok)).toBe('ok'); // a successful probe closes it, with an empty window
      expect(events).toEqual(['opened 400', 'closed']);
      expect(await breaker.status()).toEqual(closedEmptyLocal);
      expect(unavailable).toHaveLength(1);
    } finally {
      close();
    }
  });

  it('on local state, a rate opens at exactly failureRate once minimumRequests calls are in the window', async () => {
    const { server, breaker, close } = await setup({
      failureThreshold: undefined,
      failureRate: 0.5,
      minimumRequests: 4,
      redisRetryMs: 600_000,
    });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      await breaker.flush(); // nothing left to send when Redis goes away
      await server.stop();
      for (let i = 0; i < 3; i++) expect(await breaker.execute(ok)).toBe('ok');
      await attempt(breaker, down); // 1 of 4
      await attempt(breaker, down); // 2 of 5
      expect(await breaker.status()).toMatchObject({ state: 'closed', successes: 3, failures: 2, source: 'local' });
      await attempt(breaker, down); // 3 of 6 = 50 %
      expect(breaker.state).toBe('open');
    } finally {
      close();
    }
  });

  it('on local state, minimumRequests holds back a rate of 100 % until the window has that many calls', async () => {
    const { server, breaker, close } = await setup({
      failureThreshold: undefined,
      failureRate: 0.5,
      minimumRequests: 4,
      redisRetryMs: 600_000,
    });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      await breaker.flush(); // nothing left to send when Redis goes away
      await server.stop();
      for (let i = 0; i < 3; i++) await attempt(breaker, down);
      expect(await breaker.status()).toMatchObject({ state: 'closed', failures: 3, source: 'local' });
      await attempt(breaker, down);
      expect(breaker.state).toBe('open');
    } finally {
      close();
    }
  });

  it('on local state, failures leave the window with their bucket', async () => {
    const { server, breaker, close } = await setup({ failureThreshold: 2, windowMs: 600, windowBuckets: 3, redisRetryMs: 600_000 });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      await breaker.flush(); // nothing left to send when Redis goes away
      await server.stop();
      await attempt(breaker, down);
      expect(await breaker.status()).toMatchObject({ failures: 1, source: 'local' });
      await sleep(900);
      expect(await breaker.status()).toMatchObject({ failures: 0, source: 'local' });
      await attempt(breaker, down);
      expect(await breaker.status()).toMatchObject({ state: 'closed', failures: 1, source: 'local' });
      await attempt(breaker, down);
      expect(breaker.state).toBe('open');
    } finally {
      close();
    }
  });

  it('status() reports local state until the outage ends; reset() ends it at once', async () => {
    const { server, connection, breaker, close, restored } = await setup({ redisRetryMs: 600_000 });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      await breaker.flush(); // nothing left to send when Redis goes away
      await server.stop();
      await attempt(breaker, down);
      expect(breaker.mode).toBe('local');
      await startServer({ port: server.port });
      await untilAnswers(connection);
      // Redis is back, but the next try is 10 minutes away: this instance is still on its own state.
      expect(await breaker.status()).toMatchObject({ failures: 1, source: 'local' });
      expect(await breaker.execute(ok)).toBe('ok');
      expect(breaker.mode).toBe('local');
      await breaker.reset();
      expect(breaker.mode).toBe('shared');
      expect(await breaker.execute(ok)).toBe('ok');
      expect(await breaker.status()).toMatchObject({ state: 'closed', successes: 1, failures: 0, source: 'redis' });
      expect(restored).toHaveLength(0);
    } finally {
      close();
    }
  });

  it('a call admitted on local state keeps its outcome local, even when Redis is back before it ends', async () => {
    const { server, connection, breaker, close, restored } = await setup({ redisRetryMs: 300 });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      await breaker.flush(); // nothing left to send when Redis goes away
      await server.stop();
      await attempt(breaker, ok);
      expect(breaker.mode).toBe('local');
      await startServer({ port: server.port });
      await untilAnswers(connection);
      await sleep(400);
      // This call starts the background read of Redis, and runs on local state.
      const slow = attempt(breaker, async () => {
        await sleep(1000);
        throw new Error('slow failure');
      });
      await sleep(800);
      expect(restored).toHaveLength(1);
      expect(breaker.mode).toBe('shared');
      expect(await slow).toMatchObject({ message: 'slow failure' });
      expect(await breaker.status()).toMatchObject({ state: 'closed', failures: 0, source: 'redis' });
    } finally {
      close();
    }
  });

  it('while Redis does not answer, it is tried again only every redisRetryMs', async () => {
    const { server, connection, breaker, close, restored } = await setup({ redisTimeoutMs: 200, redisRetryMs: 1000 });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      expect((await breaker.status()).source).toBe('redis'); // loads the status script
      const { byCommand } = await countCommands(connection, async () => {
        const started = Date.now();
        server.pause();
        expect(await breaker.execute(ok)).toBe('ok'); // waits 200 ms for its check, then goes local
        expect(breaker.mode).toBe('local');
        // Calls for 2.5 s: the check timed out at least 200 ms after start, so tries begin 1.2 s and 2.2 s after start.
        while (Date.now() < started + 2500) {
          expect(await breaker.execute(ok)).toBe('ok');
          await sleep(25);
        }
        server.resume();
        await sleep(300);
      });
      // The check that timed out, and at most two background reads (every call would try again otherwise).
      const sent = byCommand.evalsha ?? 0;
      expect(sent).toBeGreaterThanOrEqual(1);
      expect(sent).toBeLessThanOrEqual(3);
      await untilShared(breaker, 8000);
      expect(restored).toHaveLength(1);
    } finally {
      server.resume();
      close();
    }
  });

  it('tries Redis again exactly redisRetryMs after it failed', async () => {
    const { server, connection, breaker, close, restored } = await setup({ redisRetryMs: 1000 });
    // The breaker's clock only (Date): time limits and the servers keep real time.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      await breaker.flush(); // nothing left to send when Redis goes away
      const t0 = Date.now();
      await server.stop();
      expect(await breaker.execute(ok)).toBe('ok'); // its check fails at t0: the next try is due at t0 + 1000
      expect(breaker.mode).toBe('local');
      await startServer({ port: server.port });
      await untilAnswers(connection);
      vi.setSystemTime(t0 + 999);
      expect(await breaker.execute(ok)).toBe('ok');
      await sleep(200);
      expect(breaker.mode).toBe('local');
      vi.setSystemTime(t0 + 1000);
      expect(await breaker.execute(ok)).toBe('ok'); // starts the read of Redis, which ends the outage
      for (let i = 0; i < 40 && breaker.mode === 'local'; i++) await sleep(50);
      expect(breaker.mode).toBe('shared');
      expect(restored).toHaveLength(1);
    } finally {
      vi.useRealTimers();
      close();
    }
  });

  it('reset() during a background read of Redis: the read ends no outage, so no redisRestored', async () => {
    const { server, breaker, close, restored } = await setup({ redisTimeoutMs: 500, redisRetryMs: 100 });
    try {
      expect(await breaker.execute(ok)).toBe('ok');
      await breaker.flush(); // nothing left to send during the freeze
      server.pause();
      expect(await breaker.execute(ok)).toBe('ok'); // waits 500 ms, then goes local
      await sleep(150);
      expect(await breaker.execute(ok)).toBe('ok'); // starts the background read, which waits on the frozen server
      expect(breaker.mode).toBe('local');
      const resetting = breaker.reset();
      expect(breaker.mode).toBe('shared');
      server.resume(); // the read is answered first, then reset()'s DEL
      await resetting;
      await breaker.close(); // waits for the read
      expect(restored).toHaveLength(0);
      expect(breaker.mode).toBe('shared');
      expect(await breaker.status()).toMatchObject({ state: 'closed', source: 'redis' });
    } finally {
      server.resume();
      close();
    }
  });

  it('with cacheMs, the local state is never cached: a local opening ends after openMs, and Redis is tried again', async () => {
    const { server, connection, breaker, close, restored } = await setup({ cacheMs: 60_000, openMs: 300, redisRetryMs: 300 });
    try {
      expect(await breaker.execute(ok)).toBe('ok'); // a closed circuit, cached for a minute
      await breaker.flush(); // nothing left to send when Redis goes away
      await server.stop();
      for (let i = 0; i < 3; i++) await attempt(breaker, down); // the first record finds Redis gone
      expect(breaker.mode).toBe('local');
      expect(breaker.state).toBe('open');
      await sleep(400);
      expect(await breaker.execute(ok)).toBe('ok'); // the local open period is over: a probe, which closes it
      expect(breaker.state).toBe('closed');
      await sleep(600); // the read of Redis that call started has failed (the connection gives up after 500 ms)
      await startServer({ port: server.port });
      await untilShared(breaker, 8000); // each call asks the local state, so Redis is tried again
      expect(restored).toHaveLength(1);
      expect(breaker.state).toBe('closed');
      // The read that ended the outage is cached like a check: the next call costs no round trip.
      const { byCommand } = await countCommands(connection, async () => expect(await breaker.execute(ok)).toBe('ok'));
      expect(byCommand.evalsha ?? 0).toBe(0);
    } finally {
      close();
    }
  });

  it('a circuit forced closed after an opening goes local as closed, with no open period left', async () => {
    const { server, breaker, close } = await setup();
    try {
      await breaker.forceOpen(60_000);
      await breaker.forceClose();
      await server.stop();
      expect(await breaker.status()).toEqual(closedEmptyLocal); // retryAfterMs 0, not the rest of the minute
      expect(breaker.mode).toBe('local');
      expect(await breaker.execute(ok)).toBe('ok');
    } finally {
      close();
    }
  });
});

/** Waits until `connection` gets an answer again (its client reconnects by itself). */
async function untilAnswers(connection: RedisConnection): Promise<void> {
  const deadline = Date.now() + 8000;
  for (;;) {
    try {
      await connection.send(['PING']);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

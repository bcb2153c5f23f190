import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError, SUCCESS_REPORT_MS } from '../../src/circuit-breaker/index.js';
import type { RedisConnection } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { attempt, down, instances, ok, sleep } from './helpers.js';

describe(`CircuitBreaker round trips on ${target} via ${driver}`, () => {
  // Any connection to the deployment reads the servers' command stats.
  let counter: RedisConnection;
  beforeAll(async () => {
    counter = await testConnection();
    await counter.send(['PING']);
  });

  it('costs one EVALSHA per successful call, which carries the success of the call before; a failure one more', async () => {
    const [a] = await instances({ failureThreshold: 3 });
    await a.execute(ok); // loads the scripts
    await attempt(a, down);
    const first = await countCommands(counter, () => a.execute(ok));
    expect(first.result).toBe('ok');
    // The check only: its success waits for the next check.
    expect(first.byCommand).toEqual({ evalsha: 1, time: 1, hmget: 1 });
    const second = await countCommands(counter, () => a.execute(ok));
    // The check, recording the first call's success in the window (HGETALL trims when a new bucket starts).
    expect(second.byCommand).toMatchObject({ evalsha: 1, time: 1, hmget: 1, hincrby: 1, pexpire: 1 });
    const failure = await countCommands(counter, () => attempt(a, down));
    // The check (carrying the second success) and the failure's record, before execute rejects.
    expect(failure.byCommand.evalsha).toBe(2);
    expect(await a.status()).toMatchObject({ successes: 3, failures: 2 });
  });

  it('sends a success no check carried within SUCCESS_REPORT_MS, in one EVALSHA', async () => {
    const [a] = await instances({ failureThreshold: 3 });
    await a.execute(ok);
    await a.flush();
    const idle = await countCommands(counter, async () => {
      await a.execute(ok);
      await sleep(SUCCESS_REPORT_MS + 100);
    });
    expect(idle.byCommand.evalsha).toBe(2);
    expect(await a.status()).toMatchObject({ successes: 2, failures: 0 });
  });

  it('concurrent calls share one check', async () => {
    const [a] = await instances({ failureThreshold: 3 });
    await a.execute(ok);
    const { result, byCommand } = await countCommands(counter, () => Promise.all(Array.from({ length: 16 }, () => a.execute(ok))));
    expect(result).toEqual(Array(16).fill('ok'));
    expect(byCommand.evalsha).toBe(1);
    expect(await a.status()).toMatchObject({ successes: 17, failures: 0 });
  });

  it('rejects an open circuit with one EVALSHA and without running the call', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 60_000 });
    await attempt(a, down);
    const { result, byCommand } = await countCommands(counter, () => attempt(a, ok));
    expect(result).toBeInstanceOf(CircuitOpenError);
    expect(byCommand).toEqual({ evalsha: 1, time: 1, hmget: 1 });
  });

  it('with cacheMs, successful calls cost no round trip and are flushed in one', async () => {
    const [a] = await instances({ failureThreshold: 3, cacheMs: 60_000 });
    await a.execute(ok); // the check fills the cache
    const hot = await countCommands(counter, async () => {
      for (let i = 0; i < 20; i++) await a.execute(ok);
    });
    expect(hot.total, JSON.stringify(hot.byCommand)).toBe(0);
    const flush = await countCommands(counter, () => a.flush());
    expect(flush.byCommand.evalsha).toBe(1);
    expect(await a.status()).toMatchObject({ successes: 21, failures: 0 });
    // A failure is recorded at once (one round trip), carrying buffered successes.
    await a.execute(ok);
    const failure = await countCommands(counter, () => attempt(a, down));
    expect(failure.byCommand).toEqual({ evalsha: 1, time: 1, hmget: 1, hincrby: 2, hgetall: 1, pexpire: 1 });
    expect(await a.status()).toMatchObject({ successes: 22, failures: 1 });
  });

  it('caches the state for 100 ms by default: successful calls then cost no round trip', async () => {
    const connection = await testConnection();
    const breaker = new CircuitBreaker({ connection, name: 'default-cache', failureThreshold: 3 });
    await breaker.execute(ok); // the check fills the cache
    const hot = await countCommands(counter, async () => {
      for (let i = 0; i < 20; i++) await breaker.execute(ok);
    });
    expect(hot.total, JSON.stringify(hot.byCommand)).toBe(0);
    // The buffered successes are sent within 100 ms, in one EVALSHA.
    const flushed = await countCommands(counter, () => sleep(150));
    expect(flushed.byCommand.evalsha).toBe(1);
    expect(await breaker.status()).toMatchObject({ successes: 21 });
    await breaker.close();
  });

  it('with cacheMs, the state read from Redis is trusted for exactly cacheMs', async () => {
    const [a] = await instances({ failureThreshold: 3, cacheMs: 1000 });
    await a.execute(ok); // loads the scripts
    // The breaker's clock only (Date): time limits and Redis keep real time.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const t0 = Date.now();
      await a.flush(); // the state read now is cached until t0 + 1000
      vi.setSystemTime(t0 + 999);
      expect((await countCommands(counter, () => a.execute(ok))).total).toBe(0);
      vi.setSystemTime(t0 + 1000);
      const { result, byCommand } = await countCommands(counter, () => a.execute(ok));
      expect(result).toBe('ok');
      expect(byCommand.evalsha).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('without cacheMs, every call asks Redis, even after the clock steps back', async () => {
    const [a] = await instances({ failureThreshold: 3 });
    await a.execute(ok); // loads the scripts
    vi.useFakeTimers({ toFake: ['Date'] }); // the breaker's clock only
    try {
      const t0 = Date.now();
      expect(await a.execute(ok)).toBe('ok');
      vi.setSystemTime(t0 - 1000);
      const { result, byCommand } = await countCommands(counter, () => a.execute(ok));
      expect(result).toBe('ok');
      expect(byCommand.evalsha).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('with cacheMs, an open circuit rejects locally', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 60_000, cacheMs: 5000 });
    await attempt(a, down);
    const { result, total } = await countCommands(counter, () => attempt(a, ok));
    expect(result).toBeInstanceOf(CircuitOpenError);
    expect(total).toBe(0);
  });

  it('with cacheMs, concurrent callers share one check when the cache runs out', async () => {
    const [a] = await instances({ failureThreshold: 3, cacheMs: 100 });
    await a.execute(ok);
    await a.flush();
    await sleep(150);
    const { result, byCommand } = await countCommands(counter, () => Promise.all(Array.from({ length: 20 }, () => a.execute(ok))));
    expect(result).toEqual(Array(20).fill('ok'));
    expect(byCommand.evalsha).toBe(1);
    // Their successes go to the shared window.
    expect(await a.status()).toMatchObject({ successes: 21, failures: 0 });
  });

  it('with cacheMs, concurrent callers share a check that rejects: none of them runs', async () => {
    const [a, b] = await instances({ failureThreshold: 3, cacheMs: 100 });
    await a.execute(ok);
    await a.flush(); // sent now: a flush after b's opening would fill a's cache with it
    await b.forceOpen(60_000);
    await sleep(150);
    let ran = 0;
    const { result: results, byCommand } = await countCommands(counter, () =>
      Promise.all(
        Array.from({ length: 20 }, () =>
          attempt(a, async () => {
            ran++;
            return 'ok';
          }),
        ),
      ),
    );
    expect(byCommand.evalsha).toBe(1);
    expect(ran).toBe(0);
    expect(results.every((r) => r instanceof CircuitOpenError && r.state === 'open' && r.retryAfterMs > 50_000)).toBe(true);
  });

  it('with cacheMs, concurrent callers of a half-open circuit do not share its probe', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 300, cacheMs: 100 });
    await attempt(a, down);
    await sleep(400);
    let ran = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        attempt(a, async () => {
          ran++;
          await sleep(200);
          return 'ok';
        }),
      ),
    );
    expect(ran).toBe(1);
    expect(results.filter((r) => r instanceof CircuitOpenError && r.state === 'half-open')).toHaveLength(19);
  });

  it('with cacheMs, a half-open circuit is never cached: the next probe comes from Redis', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 300, halfOpenMaxProbes: 2, timeoutMs: 0, cacheMs: 60_000 });
    await attempt(a, down);
    await sleep(400);
    void a.execute(() => new Promise<string>(() => {})); // the first probe never reports back
    await sleep(50);
    expect(a.state).toBe('half-open');
    // The second probe slot is handed out by Redis, and its success closes the circuit.
    expect(await a.execute(ok)).toBe('ok');
    expect(a.state).toBe('closed');
  });

  it('with cacheMs, a call rejected by a half-open circuit is not cached: the next call asks Redis again', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 300, timeoutMs: 0, cacheMs: 60_000 });
    await attempt(a, down);
    await sleep(400);
    void a.execute(() => new Promise<string>(() => {})); // the probe, which never reports back
    await sleep(50);
    expect(await attempt(a, ok)).toMatchObject({ state: 'half-open' });
    const { result, byCommand } = await countCommands(counter, () => attempt(a, ok));
    expect(byCommand.evalsha).toBe(1);
    expect(result).toBeInstanceOf(CircuitOpenError);
    expect(result).toMatchObject({ state: 'half-open' });
  });

  it('with cacheMs, an open circuit is cached no longer than its open period', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 300, cacheMs: 60_000 });
    await attempt(a, down);
    const cached = await countCommands(counter, () => attempt(a, ok));
    expect(cached.total).toBe(0);
    expect((cached.result as CircuitOpenError).state).toBe('open');
    expect((cached.result as CircuitOpenError).retryAfterMs).toBeGreaterThan(0);
    expect((cached.result as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(300);
    await sleep(400);
    expect(await a.execute(ok)).toBe('ok');
    expect(a.state).toBe('closed');
  });

  it('with cacheMs, forceOpen() fills the cache: the next call is rejected without a round trip', async () => {
    const [a] = await instances({ failureThreshold: 3, cacheMs: 60_000 });
    await a.forceOpen(60_000);
    const { result, total } = await countCommands(counter, () => attempt(a, ok));
    expect(total).toBe(0);
    expect(result).toBeInstanceOf(CircuitOpenError);
    expect((result as CircuitOpenError).state).toBe('open');
    expect((result as CircuitOpenError).retryAfterMs).toBeGreaterThan(50_000);
    expect((result as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('with cacheMs, successes wait for cacheMs, not SUCCESS_REPORT_MS, before they are sent on their own', async () => {
    const [a] = await instances({ failureThreshold: 3, cacheMs: 60_000 });
    for (let i = 0; i < 3; i++) await a.execute(ok);
    await sleep(SUCCESS_REPORT_MS + 200);
    const flush = await countCommands(counter, () => a.flush());
    expect(flush.byCommand.evalsha).toBe(1);
    expect(await a.status()).toMatchObject({ successes: 3 });
  });

  it("without cacheMs, a call that starts while another call's check is in flight sends a check of its own", async () => {
    const [a] = await instances({ failureThreshold: 3 });
    await a.execute(ok);
    await a.flush();
    const { byCommand } = await countCommands(counter, async () => {
      const first = a.execute(ok);
      await new Promise((r) => setImmediate(r));
      const second = a.execute(ok);
      expect(await Promise.all([first, second])).toEqual(['ok', 'ok']);
    });
    expect(byCommand.evalsha).toBe(2);
  });

  it('with cacheMs, another instance opening the circuit is seen within cacheMs', async () => {
    const [a, b] = await instances({ failureThreshold: 1, openMs: 60_000, cacheMs: 300 });
    await a.execute(ok);
    await b.forceOpen();
    // Still trusted from the cache: the documented staleness.
    expect(await a.execute(ok)).toBe('ok');
    await sleep(350);
    expect(await attempt(a, ok)).toBeInstanceOf(CircuitOpenError);
  });

  it('with cacheMs, reset() drops the cached state: the next call asks Redis, and sees what another instance did', async () => {
    const [a, b] = await instances({ failureThreshold: 3, openMs: 60_000, cacheMs: 60_000 });
    await a.execute(ok); // a closed circuit, cached for a minute
    await a.reset();
    await b.forceOpen();
    const { result, byCommand } = await countCommands(counter, () => attempt(a, ok));
    expect(byCommand.evalsha).toBe(1);
    expect(result).toBeInstanceOf(CircuitOpenError);
    expect((result as CircuitOpenError).retryAfterMs).toBeGreaterThan(50_000);
  });

  it('status, forceOpen, forceClose and reset cost one command each; close sends nothing without buffered successes', async () => {
    const [a] = await instances({ failureThreshold: 1 });
    await a.status();
    await a.forceOpen(1000);
    const status = await countCommands(counter, () => a.status());
    expect(status.byCommand.evalsha).toBe(1);
    const open = await countCommands(counter, () => a.forceOpen(1000));
    expect(open.byCommand.evalsha).toBe(1);
    const forceClose = await countCommands(counter, () => a.forceClose());
    expect(forceClose.byCommand).toEqual({ del: 1 });
    const reset = await countCommands(counter, () => a.reset());
    expect(reset.byCommand).toEqual({ del: 1 });
    const close = await countCommands(counter, () => a.close());
    expect(close.total).toBe(0);
  });

  it('with cacheMs, close() sends the buffered successes in one EVALSHA', async () => {
    const [a] = await instances({ failureThreshold: 3, cacheMs: 60_000 });
    await a.execute(ok);
    for (let i = 0; i < 5; i++) await a.execute(ok);
    const close = await countCommands(counter, () => a.close());
    expect(close.byCommand.evalsha).toBe(1);
    expect(close.byCommand.del).toBeUndefined();
    expect(await a.status()).toMatchObject({ state: 'closed', successes: 6 });
  });
});

import { describe, expect, it } from 'vitest';
import { CallTimeoutError, CircuitBreaker, CircuitOpenError } from '../../src/circuit-breaker/index.js';
import { liveGaugeSources } from '../../src/core/telemetry.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { attempt, down, instances, ok, sleep, stateEvents } from './helpers.js';

describe(`CircuitBreaker shared state on ${target} via ${driver}`, () => {
  it('failures recorded by one instance open the circuit for both', async () => {
    const [a, b] = await instances({ failureThreshold: 3, openMs: 60_000 });
    const eventsA = stateEvents(a);
    const eventsB = stateEvents(b);
    for (let i = 0; i < 2; i++) await attempt(a, down);
    // Below the threshold the other instance still calls through.
    expect(await b.execute(ok)).toBe('ok');
    await attempt(a, down);
    expect(eventsA).toEqual(['opened']);
    let ran = false;
    const err = await attempt(b, async () => {
      ran = true;
      return 'ok';
    });
    expect(ran).toBe(false);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).state).toBe('open');
    expect((err as CircuitOpenError).retryAfterMs).toBeGreaterThan(50_000);
    expect((err as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(eventsB).toEqual(['opened']);
    expect(b.state).toBe('open');
    // status() reports the rest of the open period too.
    const status = await a.status();
    expect(status.state).toBe('open');
    expect(status.retryAfterMs).toBeGreaterThan(50_000);
    expect(status.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('a failure rate below the threshold does not open; reaching it does', async () => {
    const [a, b] = await instances({ failureRate: 0.5, minimumRequests: 10, openMs: 60_000 });
    for (let i = 0; i < 6; i++) await (i % 2 ? a : b).execute(ok);
    for (let i = 0; i < 4; i++) await attempt(i % 2 ? a : b, down);
    expect(await a.status()).toMatchObject({ state: 'closed', successes: 6, failures: 4 });
    expect(await attempt(a, down)).toBeInstanceOf(Error); // 5 of 11: still below 50 %
    expect((await b.status()).state).toBe('closed');
    await attempt(b, down); // 6 of 12 = 50 %
    expect(await a.status()).toMatchObject({ state: 'open', successes: 0, failures: 0 });
    expect(await attempt(a, ok)).toBeInstanceOf(CircuitOpenError);
  });

  it('needs minimumRequests calls in the window before a rate can open it', async () => {
    const [a] = await instances({ failureRate: 0.5, minimumRequests: 8 });
    for (let i = 0; i < 7; i++) await attempt(a, down);
    expect(a.state).toBe('closed');
    await attempt(a, down);
    expect(a.state).toBe('open');
  });

  it('forgets failures older than the window', async () => {
    const [a, b] = await instances({ failureThreshold: 3, windowMs: 600, windowBuckets: 6 });
    await attempt(a, down);
    await attempt(b, down);
    await sleep(900);
    expect((await a.status()).failures).toBe(0);
    await attempt(a, down);
    expect(await b.status()).toMatchObject({ state: 'closed', failures: 1 });
    // Within the window the same count opens it.
    await attempt(b, down);
    await attempt(a, down);
    expect((await b.status()).state).toBe('open');
  });

  it('forgets a failure as soon as its bucket leaves the window, before windowMs has passed', async () => {
    const bucketMs = 1000;
    const [a] = await instances({ failureThreshold: 2, windowMs: 2 * bucketMs, windowBuckets: 2 });
    // Buckets are cut on Redis time: read it, and note which bucket a call ran in.
    const connection = await testConnection();
    const redisNow = async () => {
      const [s, us] = (await connection.send(['TIME'])) as [string, string];
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    };
    const bucketOf = async (fn: () => Promise<unknown>) => {
      const before = Math.floor((await redisNow()) / bucketMs);
      await fn();
      return before === Math.floor((await redisNow()) / bucketMs) ? before : undefined;
    };
    // The first failure late in a bucket (again if a slow machine pushed it over a bucket's edge)...
    let first: number | undefined;
    while (first === undefined) {
      const now = await redisNow();
      await sleep((Math.floor(now / bucketMs) + 1) * bucketMs + 600 - now);
      first = await bucketOf(() => attempt(a, down));
    }
    // ...the second early in the bucket two later: under windowMs after the first, whose bucket has left.
    await sleep((first + 2) * bucketMs + 100 - (await redisNow()));
    expect(await bucketOf(() => attempt(a, down))).toBe(first + 2);
    expect(await a.status()).toMatchObject({ state: 'closed', failures: 1 });
  });

  it('goes half-open after openMs; a successful probe closes it with an empty window', async () => {
    const [a, b] = await instances({ failureThreshold: 2, openMs: 300 });
    const events = stateEvents(b);
    await attempt(a, down);
    await attempt(a, down);
    expect(await attempt(b, ok)).toBeInstanceOf(CircuitOpenError);
    await sleep(400);
    expect(await b.execute(ok)).toBe('ok');
    expect(events).toEqual(['opened', 'halfOpened', 'closed']);
    expect(await a.status()).toMatchObject({ state: 'closed', successes: 0, failures: 0, probesInFlight: 0 });
    expect(await a.execute(ok)).toBe('ok');
    expect(a.state).toBe('closed');
  });

  it('a failed probe opens the circuit again for another openMs', async () => {
    const [a, b] = await instances({ failureThreshold: 1, openMs: 300 });
    await attempt(a, down);
    await sleep(400);
    const events = stateEvents(b);
    expect(await attempt(b, down)).toBeInstanceOf(Error);
    expect(events).toEqual(['halfOpened', 'opened']);
    const err = await attempt(a, ok);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).retryAfterMs).toBeGreaterThan(100);
  });

  it('ignores an outcome that ends after the opening, and tells its instance the rest of the open period', async () => {
    const [a, b] = await instances({ failureThreshold: 1, openMs: 60_000 });
    const opened: number[] = [];
    a.on('opened', ({ retryAfterMs }) => opened.push(retryAfterMs));
    let started!: () => void;
    let fail!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    // a's call is admitted while the circuit is closed...
    const late = attempt(a, () => {
      started();
      return new Promise<string>((_, reject) => {
        fail = () => reject(new Error('late failure'));
      });
    });
    await running;
    // ...b's failure opens the circuit while it runs, and then a's call fails.
    await attempt(b, down);
    fail();
    expect(await late).toBeInstanceOf(Error);
    // a learns of the opening from its own record: with the rest of the open period, not 0.
    expect(opened).toHaveLength(1);
    expect(opened[0]).toBeGreaterThan(50_000);
    expect(opened[0]).toBeLessThanOrEqual(60_000);
    expect(a.state).toBe('open');
    expect(await a.status()).toMatchObject({ state: 'open', failures: 0 });
  });

  it('forceOpen(), forceClose() and reset() act on every instance', async () => {
    const [a, b] = await instances({ failureThreshold: 5 });
    const events = stateEvents(b);
    await a.forceOpen(60_000);
    expect(a.state).toBe('open');
    const err = await attempt(b, ok);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect((err as CircuitOpenError).retryAfterMs).toBeGreaterThan(50_000);
    await b.forceClose();
    expect(await a.execute(ok)).toBe('ok');
    expect(a.state).toBe('closed');
    for (let i = 0; i < 4; i++) await attempt(a, down);
    await b.reset();
    // The window was forgotten: four more failures do not reach five.
    for (let i = 0; i < 4; i++) await attempt(b, down);
    expect(await a.status()).toMatchObject({ state: 'closed', failures: 4 });
    expect(events).toEqual(['opened', 'closed']);
  });

  it('forceOpen() forgets the failure window and the probe leases', async () => {
    const [a, b] = await instances({ failureThreshold: 3, windowMs: 60_000, idleTtlMs: 1000, timeoutMs: 0, probeLeaseMs: 60_000 });
    await attempt(a, down);
    await attempt(a, down);
    await b.forceOpen(200);
    expect(await a.status()).toMatchObject({ state: 'open', failures: 0 });
    // Nobody calls through the open period and the idle TTL: the circuit starts closed again, and the
    // two failures from before the opening are gone (the window itself would live a minute).
    await sleep(1500);
    await attempt(a, down);
    expect(await b.status()).toMatchObject({ state: 'closed', failures: 1 });
    // Half-open with a probe that never reports back (its lease would hold for a minute)...
    await b.forceOpen(200);
    await sleep(300);
    void a.execute(() => new Promise<string>(() => {}));
    await sleep(50);
    expect(await a.status()).toMatchObject({ state: 'half-open', probesInFlight: 1 });
    // ...forced open again: once that period ends, a new call is the probe, and it closes the circuit.
    await b.forceOpen(200);
    expect(await a.status()).toMatchObject({ state: 'open', probesInFlight: 0 });
    await sleep(300);
    expect(await b.execute(ok)).toBe('ok');
    expect(await a.status()).toMatchObject({ state: 'closed', probesInFlight: 0 });
  });

  it('close() releases one instance and never changes the shared circuit', async () => {
    const [a, b] = await instances({ failureThreshold: 2, openMs: 60_000, cacheMs: 60_000 });
    const events = stateEvents(a);
    await a.execute(ok);
    await a.execute(ok); // both successes are buffered (cacheMs)
    expect(await b.status()).toMatchObject({ successes: 0 });
    await a.close();
    expect(await b.status()).toMatchObject({ state: 'closed', successes: 2 }); // sent by close()
    // After close() calls still work, each success recorded at once: nothing is buffered, no timer waits.
    expect(await a.execute(ok)).toBe('ok');
    expect(await b.status()).toMatchObject({ state: 'closed', successes: 3 });
    // An open circuit stays open through close(), for every instance.
    await attempt(b, down);
    await attempt(b, down);
    await a.close();
    await b.close();
    expect(await a.status()).toMatchObject({ state: 'open', source: 'redis' });
    expect(await attempt(b, ok)).toBeInstanceOf(CircuitOpenError);
    expect(events).toEqual([]); // closing the instance is not the circuit closing
  });

  it('times out a slow call, aborts its signal and counts it as a failure', async () => {
    const [a] = await instances({ failureThreshold: 5, timeoutMs: 100 });
    const seen: string[] = [];
    a.on('timeout', ({ timeoutMs }) => seen.push(`timeout ${timeoutMs}`));
    a.on('failure', ({ error }) => seen.push(`failure ${(error as Error).name}`));
    let aborted: unknown;
    const started = Date.now();
    const err = await attempt(
      a,
      (signal) =>
        new Promise<string>((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(signal.reason);
          });
        }),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(CallTimeoutError);
    expect(aborted).toBe(err);
    expect(seen).toEqual(['timeout 100', 'failure CallTimeoutError']);
    expect((await a.status()).failures).toBe(1);
  });

  it('answers with the fallback when rejected or failed', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 60_000 });
    const fallbacks: unknown[] = [];
    a.on('fallback', ({ error }) => fallbacks.push(error));
    expect(await a.execute(down, { fallback: (e) => `cached (${(e as Error).message})` })).toBe('cached (service unavailable)');
    expect(await a.execute(ok, { fallback: () => 'cached' })).toBe('cached');
    expect(fallbacks[1]).toBeInstanceOf(CircuitOpenError);
  });

  it('counts errors that isFailure rejects as successes, still passing them to the caller', async () => {
    const notFound = Object.assign(new Error('no such prescription'), { status: 404 });
    const [a] = await instances({ failureThreshold: 2, isFailure: (e) => (e as { status?: number }).status !== 404 });
    const seen: [string, unknown][] = [];
    for (const name of ['success', 'failure'] as const) a.on(name, (arg: unknown) => seen.push([name, arg]));
    for (let i = 0; i < 3; i++) {
      expect(
        await attempt(a, async () => {
          throw notFound;
        }),
      ).toBe(notFound);
    }
    expect(await a.status()).toMatchObject({ state: 'closed', successes: 3, failures: 0 });
    // Each is a success event too, with its duration.
    expect(seen).toEqual(Array(3).fill(['success', { durationMs: expect.any(Number) }]));
  });

  it('a timeout counts as a failure even when isFailure would not count its error, and so does an error isFailure throws on', async () => {
    const [a] = await instances({ failureThreshold: 5, timeoutMs: 100, isFailure: () => false });
    expect(await attempt(a, () => new Promise<string>(() => {}))).toBeInstanceOf(CallTimeoutError);
    expect(await a.status()).toMatchObject({ successes: 0, failures: 1 });
    const [b] = await instances(
      {
        failureThreshold: 5,
        isFailure: () => {
          throw new Error('isFailure is broken');
        },
      },
      'broken-filter',
    );
    expect(await attempt(b, down)).toMatchObject({ message: 'service unavailable' });
    expect(await b.status()).toMatchObject({ successes: 0, failures: 1 });
  });

  it('tells each event what happened: durations, the rejecting state, the errors; a plain failure is no timeout', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 60_000, timeoutMs: 5000 });
    const seen: [string, unknown][] = [];
    for (const name of ['success', 'failure', 'timeout', 'reject', 'fallback'] as const)
      a.on(name, (arg: unknown) => seen.push([name, arg]));
    expect(
      await a.execute(async () => {
        await sleep(120);
        return 'slow';
      }),
    ).toBe('slow');
    const [success] = seen.splice(0) as [string, { durationMs: number }][];
    expect(success?.[0]).toBe('success');
    const successMs = success?.[1].durationMs;
    expect(successMs).toBeGreaterThanOrEqual(100);
    expect(successMs).toBeLessThan(4000);
    const failed = await attempt(a, async () => {
      await sleep(120);
      throw new Error('slow failure');
    });
    expect(seen.map(([name]) => name)).toEqual(['failure']);
    const failure = (seen.splice(0) as [string, { error: unknown; durationMs: number }][])[0]?.[1];
    expect(failure?.error).toBe(failed);
    expect(failure?.durationMs).toBeGreaterThanOrEqual(100);
    expect(failure?.durationMs).toBeLessThan(4000);
    const rejected = await attempt(a, ok);
    expect(rejected).toBeInstanceOf(CircuitOpenError);
    const { state, retryAfterMs, breaker, code, message } = rejected as CircuitOpenError;
    expect(state).toBe('open');
    expect(retryAfterMs).toBeGreaterThan(50_000);
    expect(breaker).toBe('eprescribe');
    expect(code).toBe('CIRCUIT_OPEN');
    expect(message).toBe(`circuit eprescribe is open; retry in ${retryAfterMs} ms`);
    expect(seen.splice(0)).toEqual([['reject', { state: 'open', retryAfterMs }]]);
    expect(await a.execute(ok, { fallback: () => 'cached' })).toBe('cached');
    expect(seen.map(([name]) => name)).toEqual(['reject', 'fallback']);
    expect(seen[1]?.[1]).toEqual({ error: expect.any(CircuitOpenError) });
    const timeout = new CallTimeoutError('eprescribe', 250);
    expect(timeout).toMatchObject({
      code: 'CALL_TIMEOUT',
      timeoutMs: 250,
      message: 'call through circuit eprescribe did not settle within 250 ms',
    });
  });

  it('traces every call and every transition on the circuit-breaker channel, with the breaker as attribute', async () => {
    const [a] = await instances({ failureThreshold: 2, openMs: 300, isFailure: (e) => (e as Error).message !== 'not found' }, 'traced');
    const seen = await tracedOperations('circuit-breaker', async () => {
      await a.execute(ok);
      await attempt(a, async () => {
        throw new Error('not found');
      });
      await attempt(a, down);
      expect(await a.execute(down, { fallback: () => 'cached' })).toBe('cached'); // opens the circuit
      await attempt(a, ok);
      expect(await a.execute(ok, { fallback: () => 'cached' })).toBe('cached');
      await sleep(400);
      expect(await a.execute(ok)).toBe('ok'); // the probe closes it
    });
    expect(seen.map((c) => [c.operation, c.outcome])).toEqual([
      ['execute', 'success'],
      ['execute', 'success'],
      ['execute', 'failure'],
      ['execute', 'fallback'],
      ['transition', 'open'],
      ['execute', 'rejected'],
      ['execute', 'fallback'],
      ['execute', 'success'],
      ['transition', 'half-open'],
      ['transition', 'closed'],
    ]);
    for (const c of seen) expect(c).toMatchObject({ module: 'circuit-breaker', attributes: { breaker: 'traced' } });
  });

  it('publishes its state as the circuit_breaker.state gauge: 0 closed, 2 open, 1 half-open', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 300, timeoutMs: 0 }, 'gauged');
    const gauge = () => {
      const sources = liveGaugeSources().filter((s) => s.module === 'circuit-breaker' && s.attributes.breaker === 'gauged');
      expect(sources.length).toBeGreaterThan(0);
      return sources.map((s) => s.read());
    };
    expect(gauge()).toContainEqual({ 'circuit_breaker.state': 0 });
    await attempt(a, down);
    expect(gauge()).toContainEqual({ 'circuit_breaker.state': 2 });
    await sleep(400);
    void a.execute(() => new Promise<string>(() => {}));
    await sleep(50);
    expect(a.state).toBe('half-open');
    expect(gauge()).toContainEqual({ 'circuit_breaker.state': 1 });
  });

  it('forceOpen() defaults to openMs, and a forced change shows in state at once', async () => {
    const [a, b] = await instances({ failureThreshold: 5, openMs: 60_000 });
    await a.forceOpen();
    expect(a.state).toBe('open');
    const err = await attempt(b, ok);
    expect((err as CircuitOpenError).retryAfterMs).toBeGreaterThan(50_000);
    expect((err as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(60_000);
    await b.forceClose();
    expect(b.state).toBe('closed');
    await a.reset();
    expect(a.state).toBe('closed');
    expect(a.mode).toBe('shared');
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the circuit breaker at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new CircuitBreaker({ connection, name: 'eprescribe' }))).toEqual(['circuit-breaker']);
  });
});

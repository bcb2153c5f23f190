import { describe, expect, it } from 'vitest';
import { CallTimeoutError, CircuitOpenError } from '../../src/circuit-breaker/index.js';
import { driver, target } from '../harness/redis.js';
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
    for (let i = 0; i < 3; i++) {
      expect(
        await attempt(a, async () => {
          throw notFound;
        }),
      ).toBe(notFound);
    }
    expect(await a.status()).toMatchObject({ state: 'closed', successes: 3, failures: 0 });
  });
});

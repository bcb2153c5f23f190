import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/circuit-breaker/index.js';
import { driver, target } from '../harness/redis.js';
import { attempt, down, instances, ok, sleep } from './helpers.js';

describe(`CircuitBreaker half-open on ${target} via ${driver}`, () => {
  it('admits exactly halfOpenMaxProbes of 50 concurrent callers across instances', async () => {
    const [a, b] = await instances({ failureThreshold: 1, openMs: 300, halfOpenMaxProbes: 3 });
    await attempt(a, down);
    await sleep(400);
    let running = 0;
    let ran = 0;
    let maxRunning = 0;
    const probe = async () => {
      running++;
      ran++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(300); // probes overlap with every admission decision
      running--;
      return 'ok';
    };
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(i % 2 ? a : b, probe)));
    const rejected = results.filter((r) => r instanceof CircuitOpenError) as CircuitOpenError[];
    expect(ran).toBe(3);
    expect(maxRunning).toBe(3);
    expect(results.filter((r) => r === 'ok')).toHaveLength(3);
    expect(rejected).toHaveLength(47);
    expect(rejected.every((e) => e.state === 'half-open' && e.retryAfterMs > 0)).toBe(true);
    // The probes succeeded: closed for everyone.
    expect(await a.execute(ok)).toBe('ok');
    expect(await b.execute(ok)).toBe('ok');
    expect(b.state).toBe('closed');
  });

  it('frees the slot of a probe that never reports back once its lease ends', async () => {
    const [a, b] = await instances({ failureThreshold: 1, openMs: 200, timeoutMs: 0, probeLeaseMs: 400 });
    await attempt(a, down);
    await sleep(300);
    // The probe hangs forever, like an instance that died mid-call.
    void a.execute(() => new Promise<string>(() => {}));
    await sleep(50);
    const early = await attempt(b, ok);
    expect(early).toBeInstanceOf(CircuitOpenError);
    expect((early as CircuitOpenError).state).toBe('half-open');
    expect((early as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(400);
    await sleep((early as CircuitOpenError).retryAfterMs + 100);
    expect(await b.execute(ok)).toBe('ok');
    expect(await b.status()).toMatchObject({ state: 'closed', probesInFlight: 0 });
  });

  it('counts only leases that have not ended: one that ended frees its slot while another is still held', async () => {
    const [a, b] = await instances({ failureThreshold: 1, openMs: 200, halfOpenMaxProbes: 2, timeoutMs: 0, probeLeaseMs: 2000 });
    await attempt(a, down);
    await sleep(300);
    // Two probes that never report back, taken 1 s apart: the second lease ends 1 s after the first.
    void a.execute(() => new Promise<string>(() => {}));
    await sleep(1000);
    void b.execute(() => new Promise<string>(() => {}));
    await sleep(50);
    const full = await attempt(a, ok);
    expect(full).toBeInstanceOf(CircuitOpenError);
    expect((full as CircuitOpenError).state).toBe('half-open');
    // The wait is until the first lease ends, well before the second one.
    expect((full as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(1000);
    await sleep((full as CircuitOpenError).retryAfterMs + 100);
    // The first lease has ended and the second is held for about 900 ms more: one slot is free.
    expect(await a.execute(ok)).toBe('ok');
    expect(await b.status()).toMatchObject({ state: 'closed', probesInFlight: 0 });
  });

  it('ignores the late report of a probe whose lease has ended', async () => {
    const [a, b] = await instances({ failureThreshold: 2, openMs: 200, timeoutMs: 0, probeLeaseMs: 300 });
    await attempt(a, down);
    await attempt(a, down);
    await sleep(300);
    const late = attempt(a, async () => {
      await sleep(600);
      throw new Error('late failure');
    });
    await sleep(400);
    // The lease ended: b's call is the probe now, and its success closes the circuit.
    expect(await b.execute(ok)).toBe('ok');
    expect(await late).toBeInstanceOf(Error);
    // The late failure did not re-open it: it is one failure of the closed circuit.
    expect(await b.status()).toMatchObject({ state: 'closed', failures: 1 });
  });

  it('leases a probe for timeoutMs + 1000 by default, and for a minute without a timeout', async () => {
    const [a, b] = await instances({ failureThreshold: 1, openMs: 200, timeoutMs: 3000 });
    await attempt(a, down);
    await sleep(300);
    const probe = attempt(a, () => new Promise<string>(() => {})); // times out after 3 s
    await sleep(50);
    const held = await attempt(b, ok);
    expect(held).toMatchObject({ state: 'half-open' });
    expect((held as CircuitOpenError).retryAfterMs).toBeGreaterThan(3000);
    expect((held as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(4000);
    await a.forceClose();
    const [c, d] = await instances({ failureThreshold: 1, openMs: 200, timeoutMs: 0 }, 'no-timeout');
    await attempt(c, down);
    await sleep(300);
    void c.execute(() => new Promise<string>(() => {}));
    await sleep(50);
    const untimed = await attempt(d, ok);
    expect(untimed).toMatchObject({ state: 'half-open' });
    expect((untimed as CircuitOpenError).retryAfterMs).toBeGreaterThan(50_000);
    expect((untimed as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await probe).toBeInstanceOf(Error);
  });
});

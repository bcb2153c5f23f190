import RedisMock from 'ioredis-mock';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError } from '../../src/circuit-breaker/index.js';
import { RedisConnection } from '../../src/index.js';

// ioredis-mock runs the Lua scripts in an emulator; behaviour is proven on real Redis
// (test/circuit-breaker), this states that apps unit-tested on the mock can use the breaker.
describe('circuit-breaker on ioredis-mock', () => {
  it('opens on failures, rejects, and closes after a successful probe', async () => {
    const connection = RedisConnection.from(new RedisMock(), { prefix: 'mock' });
    // The emulator compiles each script on first use, which can take longer than the default
    // redisTimeoutMs on a busy machine; this test is about behaviour, not latency.
    const breaker = new CircuitBreaker({ connection, name: 'svc', failureThreshold: 2, openMs: 100, redisTimeoutMs: 10_000 });
    const fail = async () => {
      throw new Error('down');
    };
    await expect(breaker.execute(fail)).rejects.toThrow('down');
    await expect(breaker.execute(fail)).rejects.toThrow('down');
    expect(breaker.mode).toBe('shared');
    expect(breaker.state).toBe('open');
    await expect(breaker.execute(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
    // ioredis-mock's TIME takes seconds and microseconds from different clocks, so its time can
    // jump by up to a second: wait for the probe to be admitted rather than for exactly openMs.
    let result: number | undefined;
    for (const started = Date.now(); result === undefined && Date.now() - started < 5000; ) {
      await new Promise((r) => setTimeout(r, 100));
      result = await breaker.execute(async () => 1).catch((e: unknown) => (e instanceof CircuitOpenError ? undefined : Promise.reject(e)));
    }
    expect(result).toBe(1);
    expect(await breaker.status()).toMatchObject({ state: 'closed', source: 'redis' });
  });
});

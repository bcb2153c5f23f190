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
    await new Promise((r) => setTimeout(r, 150));
    expect(await breaker.execute(async () => 1)).toBe(1);
    expect(await breaker.status()).toMatchObject({ state: 'closed', source: 'redis' });
  });
});

// CircuitBreaker.execute around a no-op call, next to calling it directly and to
// opossum (in-process state only, the breaker most Node users know). Ours pays for
// shared state: with `cacheMs: 0` one round trip before each call (carrying earlier
// successes, shared by concurrent calls); with the default `cacheMs` (100 ms) none on the
// hot path (successes sent in batches).
import { Redis } from 'ioredis';
import OpossumBreaker from 'opossum';
import { RedisConnection } from 'redis-patterns';
import { CircuitBreaker } from 'redis-patterns/circuit-breaker';
import type { BenchContext } from './lib/types.js';
import { versus } from './lib/versus.js';

const noop = async (): Promise<number> => 1;

export default async function circuitBreakerBench(ctx: BenchContext): Promise<void> {
  const client = new Redis(ctx.redisUrl);
  const connection = RedisConnection.from(client, { prefix: 'bench' });
  const options = { connection, failureRate: 0.5, minimumRequests: 20, openMs: 30_000, timeoutMs: 10_000 };
  const shared = new CircuitBreaker({ ...options, name: 'noop', cacheMs: 0 });
  const cached = new CircuitBreaker({ ...options, name: 'noop-cached' });
  const opossum = new OpossumBreaker(noop, { timeout: 10_000, errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeout: 30_000 });
  try {
    for (const concurrency of [1, 50]) {
      await versus(ctx, 'circuit-breaker', concurrency, {
        'execute no-op': [
          ['direct call', noop],
          ['opossum (local)', () => opossum.fire()],
          ['redis-patterns cacheMs=0', () => shared.execute(noop), 'opossum (local)'],
          ['redis-patterns (default cacheMs=100)', () => cached.execute(noop), 'opossum (local)'],
        ],
      });
    }
  } finally {
    await shared.close();
    await cached.close();
    opossum.shutdown();
    await client.quit();
  }
}

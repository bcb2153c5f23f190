// CircuitBreaker.execute around a no-op call, next to calling it directly and to
// opossum (in-process state only, the breaker most Node users know). Ours pays for
// shared state: with `cacheMs: 0` one round trip before each call (carrying earlier
// successes, shared by concurrent calls); with the default `cacheMs` (100 ms) none on the
// hot path (successes sent in batches).
//
// Every breaker is created fresh before each measurement and closed after it. opossum keeps
// the latency of every call of its 10 s rolling window (for its percentiles): at half a
// million calls a second that is hundreds of MB, and one long-lived opossum instance made the
// garbage collector slow down whichever case ran after it (ours fell to a fifth of its speed).
import { Redis } from 'ioredis';
import OpossumBreaker from 'opossum';
import { RedisConnection } from 'redis-patterns';
import { CircuitBreaker } from 'redis-patterns/circuit-breaker';
import type { BenchCase, BenchContext } from './lib/types.js';

const noop = async (): Promise<number> => 1;

export default async function circuitBreakerBench(ctx: BenchContext): Promise<void> {
  const client = new Redis(ctx.redisUrl);
  const connection = RedisConnection.from(client, { prefix: 'bench' });
  const options = { connection, failureRate: 0.5, minimumRequests: 20, openMs: 30_000, timeoutMs: 10_000 };
  const opossumOptions = { timeout: 10_000, errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeout: 30_000 };

  /** A case whose breaker lives for one measurement. */
  function fresh<B>(
    library: string,
    concurrency: number,
    create: () => B,
    op: (b: B) => Promise<unknown>,
    end: (b: B) => Promise<void>,
  ): BenchCase {
    let breaker: B | undefined;
    return {
      suite: 'circuit-breaker',
      operation: 'execute no-op',
      library,
      concurrency,
      reference: library === 'opossum (local)' ? undefined : 'opossum (local)',
      op: () => op(breaker as B),
      setup: async () => {
        breaker = create();
      },
      teardown: async () => end(breaker as B),
    };
  }

  try {
    for (const concurrency of [1, 50]) {
      await ctx.compare([
        { suite: 'circuit-breaker', operation: 'execute no-op', library: 'direct call', concurrency, op: noop },
        {
          ...fresh(
            'opossum (local)',
            concurrency,
            () => new OpossumBreaker(noop, opossumOptions),
            (b) => b.fire(),
            async (b) => b.shutdown(),
          ),
          reference: 'direct call',
        },
        fresh(
          'redis-patterns cacheMs=0',
          concurrency,
          () => new CircuitBreaker({ ...options, name: 'noop', cacheMs: 0 }),
          (b) => b.execute(noop),
          (b) => b.close(),
        ),
        fresh(
          'redis-patterns (default cacheMs=100)',
          concurrency,
          () => new CircuitBreaker({ ...options, name: 'noop-cached' }),
          (b) => b.execute(noop),
          (b) => b.close(),
        ),
      ]);
    }
  } finally {
    await client.quit();
  }
}

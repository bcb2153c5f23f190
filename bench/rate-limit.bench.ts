// Rate-limit checks side by side with rate-limiter-flexible's RateLimiterRedis.consume
// (one EVALSHA per consume through ioredis defineCommand), on the same ioredis client,
// with the same limits and the same 1,000 identities; and against a trivial EVALSHA on
// that connection, with and without batching concurrent checks into one EVALSHA.
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { RedisConnection } from 'redis-patterns';
import {
  FixedWindowLimiter,
  GcraLimiter,
  type RateLimiter,
  SlidingWindowCounterLimiter,
  SlidingWindowLogLimiter,
  TokenBucketLimiter,
} from 'redis-patterns/rate-limit';
import type { BenchContext } from './lib/types.js';

const IDENTITIES = 1000;
const CONCURRENCY = 50;
const id = (i: number) => `user:${i % IDENTITIES}`;

export default async function rateLimitBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const connection = RedisConnection.from(io, { prefix: 'bench' });
  // The same client with one EVALSHA per check, to show what batching concurrent checks gives.
  const unbatched = RedisConnection.from(io, { prefix: 'bench', coalesceScripts: false });
  const trivial = String(await io.script('LOAD', 'return 1'));

  // Generous limits (1,000,000 per second per identity): every check is allowed, as in normal traffic.
  const roomy = { limit: 1_000_000, windowMs: 1000 };
  const ours = (c: RedisConnection): [string, RateLimiter][] => [
    ['fixed window', new FixedWindowLimiter({ connection: c, ...roomy })],
    ['sliding log', new SlidingWindowLogLimiter({ connection: c, ...roomy })],
    ['sliding counter', new SlidingWindowCounterLimiter({ connection: c, ...roomy })],
    ['token bucket', new TokenBucketLimiter({ connection: c, capacity: roomy.limit, refillRate: roomy.limit })],
    ['gcra', new GcraLimiter({ connection: c, limit: roomy.limit, periodMs: roomy.windowMs })],
  ];
  const flexible = new RateLimiterRedis({ storeClient: io, keyPrefix: 'bench-rlf', points: roomy.limit, duration: 1 });

  try {
    for (const [name, limiter] of ours(connection)) {
      const operation = `${name} check`;
      await ctx.compare([
        { suite: 'rate-limit', operation, library: 'rate-limiter-flexible', concurrency: CONCURRENCY, op: (i) => flexible.consume(id(i)) },
        {
          suite: 'rate-limit',
          operation,
          library: 'redis-patterns',
          concurrency: CONCURRENCY,
          op: (i) => limiter.check(id(i)),
          reference: 'rate-limiter-flexible',
        },
      ]);
    }

    // Mostly rejected: 10 per second per identity. rate-limiter-flexible rejects by throwing (and still counts).
    const tight = new FixedWindowLimiter({ connection, name: 'tight', limit: 10, windowMs: 1000 });
    const tightFlexible = new RateLimiterRedis({ storeClient: io, keyPrefix: 'bench-rlf-tight', points: 10, duration: 1 });
    const overLimit = 'fixed window, over limit';
    await ctx.compare([
      {
        suite: 'rate-limit',
        operation: overLimit,
        library: 'rate-limiter-flexible',
        concurrency: CONCURRENCY,
        op: (i) => tightFlexible.consume(id(i)).catch(() => undefined),
      },
      {
        suite: 'rate-limit',
        operation: overLimit,
        library: 'redis-patterns',
        concurrency: CONCURRENCY,
        op: (i) => tight.check(id(i)),
        reference: 'rate-limiter-flexible',
      },
    ]);

    // The ceiling: a trivial EVALSHA on the same connection; each check batched and one EVALSHA per check.
    const ceiling = 'check vs EVALSHA return 1';
    const batched = ours(connection);
    for (const [i, [name, limiter]] of ours(unbatched).entries()) {
      const inBatches = (batched[i] as [string, RateLimiter])[1];
      await ctx.compare([
        {
          suite: 'rate-limit ceiling',
          operation: ceiling,
          library: 'raw EVALSHA',
          concurrency: CONCURRENCY,
          op: () => io.evalsha(trivial, 0),
        },
        {
          suite: 'rate-limit ceiling',
          operation: ceiling,
          library: name,
          concurrency: CONCURRENCY,
          op: (n) => inBatches.check(id(n)),
          reference: 'raw EVALSHA',
        },
        {
          suite: 'rate-limit ceiling',
          operation: ceiling,
          library: `${name}, coalesceScripts false`,
          concurrency: CONCURRENCY,
          op: (n) => limiter.check(id(n)),
          reference: 'raw EVALSHA',
        },
      ]);
    }
  } finally {
    await io.quit();
  }
}

// Counters against the naive client code on the same client (ioredis): PFADD then PEXPIREAT
// (two round trips) for UniqueCounter.track; INCR on a per-window key then PEXPIRE for
// AtomicCounter.increment; the 7-day merged count is one PFCOUNT either way. BloomFilter has
// no like-for-like peer here (RedisBloom is not loaded): its rows show the Lua bit array's cost.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { AtomicCounter, BloomFilter, UniqueCounter } from 'redis-patterns/counters';
import type { BenchContext } from './lib/types.js';

const DAY = 86_400_000;

export default async function countersBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const connection = RedisConnection.from(io, { prefix: 'bench' });
  const unique = new UniqueCounter({ connection });
  const windows = new AtomicCounter({ connection, windowMs: 60_000, windows: 60 });
  const bloom = new BloomFilter({ connection, name: 'bench', capacity: 1_000_000, errorRate: 0.01, backend: 'lua' });
  await bloom.clear();
  const days = Array.from({ length: 7 }, (_, d) => new Date(Date.now() - d * DAY).toISOString().slice(0, 10));
  // The same 5,000 members per day on both sides, so both HyperLogLogs are dense and alike.
  for (const day of days) {
    for (let i = 0; i < 5000; i += 1000) {
      const members = Array.from({ length: 1000 }, (_, j) => `p-${i + j}-${day}`);
      await unique.track('portal', members, { day });
      await io.pfadd(`bench:naive-hll:${day}`, ...members);
    }
  }
  const today = days[0] as string;
  try {
    for (const concurrency of [1, 50]) {
      const naiveTrack = 'naive PFADD + PEXPIREAT';
      await ctx.run({
        suite: 'counters',
        operation: 'unique track',
        library: naiveTrack,
        concurrency,
        op: async (i) => {
          await io.pfadd(`bench:naive-hll:${today}`, `v-${i}`);
          return io.pexpireat(`bench:naive-hll:${today}`, Date.now() + 90 * DAY);
        },
      });
      await ctx.run({
        suite: 'counters',
        operation: 'unique track',
        library: 'UniqueCounter.track',
        concurrency,
        op: (i) => unique.track('portal', `v-${i}`),
        reference: naiveTrack,
      });
      const naiveRange = 'naive PFCOUNT 7 keys';
      await ctx.run({
        suite: 'counters',
        operation: 'unique count 7 days',
        library: naiveRange,
        concurrency,
        op: () => io.pfcount(...days.map((d) => `bench:naive-hll:${d}`)),
      });
      await ctx.run({
        suite: 'counters',
        operation: 'unique count 7 days',
        library: 'UniqueCounter.countRange',
        concurrency,
        op: () => unique.countRange('portal', days[6] as string, today),
        reference: naiveRange,
      });
      const naiveIncr = 'naive INCR + PEXPIRE (client-time window)';
      await ctx.run({
        suite: 'counters',
        operation: 'windowed increment',
        library: naiveIncr,
        concurrency,
        op: async () => {
          const key = `bench:naive-window:${Math.floor(Date.now() / 60_000)}`;
          await io.incr(key);
          return io.pexpire(key, 3_600_000);
        },
      });
      await ctx.run({
        suite: 'counters',
        operation: 'windowed increment',
        library: 'AtomicCounter.increment',
        concurrency,
        op: () => windows.increment('logins'),
        reference: naiveIncr,
      });
      await ctx.run({
        suite: 'counters',
        operation: 'bloom add',
        library: 'BloomFilter.add (Lua, k=7)',
        concurrency,
        op: (i) => bloom.add(`item-${i}`),
      });
      await ctx.run({
        suite: 'counters',
        operation: 'bloom exists',
        library: 'BloomFilter.exists (Lua, k=7)',
        concurrency,
        op: (i) => bloom.exists(`item-${i}`),
      });
    }
  } finally {
    await bloom.clear();
    await io.del(...days.map((d) => `bench:naive-hll:${d}`));
    await io.quit();
  }
}

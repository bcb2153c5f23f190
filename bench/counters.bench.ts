// Counters against the naive client code on the same client (ioredis): PFADD then PEXPIREAT
// (two round trips) for UniqueCounter.track; INCR on a per-window key then PEXPIRE for
// AtomicCounter.increment; the 7-day merged count is one PFCOUNT either way. BloomFilter has
// no like-for-like peer here (RedisBloom is not loaded): its rows show the Lua bit array's cost.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { AtomicCounter, BloomFilter, UniqueCounter } from 'redis-patterns/counters';
import type { BenchContext } from './lib/types.js';
import { versus } from './lib/versus.js';

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
  // A new member on every call, over all rounds and both concurrencies (the op's `i` restarts every round).
  let naiveSeen = 0;
  let oursSeen = 0;
  const naiveTrack = async () => {
    await io.pfadd(`bench:naive-hll:${today}`, `v-${naiveSeen++}`);
    return io.pexpireat(`bench:naive-hll:${today}`, Date.now() + 90 * DAY);
  };
  const naiveIncrement = async () => {
    const key = `bench:naive-window:${Math.floor(Date.now() / 60_000)}`;
    await io.incr(key);
    return io.pexpire(key, 3_600_000);
  };
  try {
    for (const concurrency of [1, 50]) {
      await versus(ctx, 'counters', concurrency, {
        'unique track': [
          ['naive PFADD + PEXPIREAT', naiveTrack],
          ['UniqueCounter.track', () => unique.track('portal', `v-${oursSeen++}`)],
        ],
        'unique count 7 days': [
          ['naive PFCOUNT 7 keys', () => io.pfcount(...days.map((d) => `bench:naive-hll:${d}`))],
          ['UniqueCounter.countRange', () => unique.countRange('portal', days[6] as string, today)],
        ],
        'windowed increment': [
          ['naive INCR + PEXPIRE (client-time window)', naiveIncrement],
          ['AtomicCounter.increment', () => windows.increment('logins')],
        ],
      });
      // Lone cases: nothing to compare with.
      const bloomCases = [
        ['bloom add', 'BloomFilter.add (Lua, k=7)', (i: number) => bloom.add(`item-${i}`)],
        ['bloom exists', 'BloomFilter.exists (Lua, k=7)', (i: number) => bloom.exists(`item-${i}`)],
      ] as const;
      for (const [operation, library, op] of bloomCases) await ctx.run({ suite: 'counters', operation, library, concurrency, op });
    }
  } finally {
    await bloom.clear();
    await io.del(...days.map((d) => `bench:naive-hll:${d}`));
    await io.quit();
  }
}

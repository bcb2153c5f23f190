// Leaderboard increment and top(10) against the naive client code on the same board:
// ZINCRBY followed by ZREVRANK (two round trips, ties by member name, not by time), and
// ZREVRANGE WITHSCORES for the top. Same ioredis client, 10,000 members.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Leaderboard } from 'redis-patterns/leaderboard';
import type { BenchContext } from './lib/types.js';

const MEMBERS = 10_000;
const NAIVE = 'bench:naive-leaderboard';

export default async function leaderboardBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const board = new Leaderboard({ connection: RedisConnection.from(io, { prefix: 'bench' }), name: 'adherence' });
  await board.clear();
  await io.del(NAIVE);
  for (let i = 0; i < MEMBERS; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, j) => board.add(`patient-${i + j}`, (i + j) % 997)));
    await io.zadd(NAIVE, ...Array.from({ length: 500 }, (_, j) => [(i + j) % 997, `patient-${i + j}`]).flat());
  }
  const member = (i: number) => `patient-${(i * 7919) % MEMBERS}`;
  try {
    for (const concurrency of [1, 50]) {
      const naive = 'naive ZINCRBY + ZREVRANK';
      await ctx.run({
        suite: 'leaderboard',
        operation: 'increment (+ rank)',
        library: naive,
        concurrency,
        op: async (i) => {
          await io.zincrby(NAIVE, 1, member(i));
          return io.zrevrank(NAIVE, member(i));
        },
      });
      await ctx.run({
        suite: 'leaderboard',
        operation: 'increment (+ rank)',
        library: 'Leaderboard.increment (time ties)',
        concurrency,
        op: (i) => board.increment(member(i), 1),
        reference: naive,
      });
      const naiveTop = 'naive ZREVRANGE WITHSCORES';
      await ctx.run({
        suite: 'leaderboard',
        operation: 'top(10)',
        library: naiveTop,
        concurrency,
        op: () => io.zrevrange(NAIVE, 0, 9, 'WITHSCORES'),
      });
      await ctx.run({
        suite: 'leaderboard',
        operation: 'top(10)',
        library: 'Leaderboard.top',
        concurrency,
        op: () => board.top(10),
        reference: naiveTop,
      });
    }
  } finally {
    await board.clear();
    await io.del(NAIVE);
    await io.quit();
  }
}

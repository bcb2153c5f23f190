// Leaderboard increment and top(10) against the naive client code on the same board:
// ZINCRBY followed by ZREVRANK (two round trips, ties by member name, not by time), and
// ZREVRANGE WITHSCORES for the top. Same ioredis client, 10,000 members.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Leaderboard } from 'redis-patterns/leaderboard';
import type { BenchContext } from './lib/types.js';
import { versus } from './lib/versus.js';

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
  const naiveIncrement = async (i: number) => {
    await io.zincrby(NAIVE, 1, member(i));
    return io.zrevrank(NAIVE, member(i));
  };
  try {
    for (const concurrency of [1, 50]) {
      await versus(ctx, 'leaderboard', concurrency, {
        'increment (+ rank)': [
          ['naive ZINCRBY + ZREVRANK', naiveIncrement],
          ['Leaderboard.increment (time ties)', (i) => board.increment(member(i), 1)],
        ],
        'top(10)': [
          ['naive ZREVRANGE WITHSCORES', () => io.zrevrange(NAIVE, 0, 9, 'WITHSCORES')],
          ['Leaderboard.top', () => board.top(10)],
        ],
      });
    }
  } finally {
    await board.clear();
    await io.del(NAIVE);
    await io.quit();
  }
}

// Streaks.record (one script) against the read-modify-write users write without the
// library: HMGET the state, compute the streak in JS, then MULTI HSET + ZADD + trim +
// PEXPIRE (two round trips, and two devices recording at once can both count).
// No peer library offers streaks; the naive version is the reference.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { periodIndex, Streaks } from 'redis-patterns/streaks';
import type { BenchContext } from './lib/types.js';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 12);
const USERS = 1000;
const TTL_MS = 400 * DAY_MS;

export default async function streaksBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const connection = RedisConnection.from(io, { prefix: 'bench' });
  const streaks = new Streaks({ connection });
  // Every op records the next day of one of USERS users, so nearly every call counts a new day.
  const at = (i: number) => T0 + Math.floor(i / USERS) * DAY_MS;

  const naive = async (user: string, when: number) => {
    const state = `naive:streaks:{${user}}:check-in:state`;
    const history = `naive:streaks:{${user}}:check-in:history`;
    const period = periodIndex('day', new Date(when), 'Europe/Berlin');
    const [last, current, longest] = await io.hmget(state, 'last', 'current', 'longest');
    if (last !== null && period <= Number(last)) return { current: Number(current), longest: Number(longest) };
    const next = last !== null && period - Number(last) === 1 ? Number(current) + 1 : 1;
    const best = Math.max(next, Number(longest ?? 0));
    await io
      .multi()
      .hset(state, 'last', period, 'current', next, 'longest', best)
      .zadd(history, period, period)
      .zremrangebyrank(history, 0, -101)
      .pexpire(state, TTL_MS)
      .pexpire(history, TTL_MS)
      .exec();
    return { current: next, longest: best };
  };

  try {
    for (const concurrency of [1, 50]) {
      await ctx.run({
        suite: 'streaks',
        operation: 'record (day, Europe/Berlin)',
        library: 'naive read-modify-write',
        concurrency,
        op: (i) => naive(`c${concurrency}-u${i % USERS}`, at(i)),
      });
      await ctx.run({
        suite: 'streaks',
        operation: 'record (day, Europe/Berlin)',
        library: 'redis-patterns',
        concurrency,
        op: (i) => streaks.record(`c${concurrency}-u${i % USERS}`, 'check-in', at(i), { timeZone: 'Europe/Berlin' }),
        reference: 'naive read-modify-write',
      });
    }
  } finally {
    await io.quit();
  }
}

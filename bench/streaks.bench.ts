// Streaks.record (one script) against the read-modify-write users write without the
// library: HMGET the state, compute the streak in JS, then MULTI HSET + ZADD + trim +
// PEXPIRE (two round trips, and two devices recording at once can both count).
// No peer library offers streaks; the naive version is the reference.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { periodIndex, Streaks } from 'redis-patterns/streaks';
import type { BenchContext } from './lib/types.js';
import { versus } from './lib/versus.js';

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
      // Each side counts its own calls over the whole comparison: with the op's `i`, which
      // restarts every round, later rounds would record days already counted.
      let naiveN = 0;
      let oursN = 0;
      const day = (record: (user: string, when: number) => Promise<unknown>, n: number) => record(`c${concurrency}-u${n % USERS}`, at(n));
      await versus(ctx, 'streaks', concurrency, {
        'record (day, Europe/Berlin)': [
          ['naive read-modify-write', () => day(naive, naiveN++)],
          ['redis-patterns', () => day((user, when) => streaks.record(user, 'check-in', when, { timeZone: 'Europe/Berlin' }), oursN++)],
        ],
      });
    }
  } finally {
    await io.quit();
  }
}

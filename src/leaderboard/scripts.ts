// Every Lua script of the module with its contract: keys, argument types, parsed reply.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import type { LeaderboardEntry } from './leaderboard.js';
import aroundSource from './scripts/around.lua';
import rangeSource from './scripts/range.lua';
import removeSource from './scripts/remove.lua';
import setSource from './scripts/set.lua';

// Width of the inverted TIME stamp (10 digits of seconds, 6 of microseconds) in front of each member.
const STAMP = 16;

/** An array reply as a list; anything else is a protocol surprise (a `RedisCommandError` for the caller). */
export function listReply(reply: RedisReply): unknown[] {
  if (!Array.isArray(reply)) throw new TypeError(`expected an array reply, got ${typeof reply}`);
  return reply;
}

/** Turns `[stamped entry, score, ...]` starting at 0-based rank `first` into entries. */
export function toEntries(flat: readonly unknown[], first: number): LeaderboardEntry[] {
  const out: LeaderboardEntry[] = [];
  // Stryker disable next-line EqualityOperator: equivalent, WITHSCORES replies come in pairs: i is even and the length even, so i + 1 never equals it
  for (let i = 0; i + 1 < flat.length; i += 2) {
    out.push({ member: String(flat[i]).slice(STAMP), score: Number(flat[i + 1]), rank: first + i / 2 + 1 });
  }
  return out;
}

/** Sets or increments a member's score; resolves its new score and 0-based rank. */
export const setScript = defineScript<
  [member: string, amount: number, mode: 'set' | 'incr', expiryCommand: '' | 'PEXPIRE' | 'PEXPIREAT', expiryMs: number],
  { score: number; rank: number }
>('leaderboard/set', setSource, {
  keys: 2,
  parseReply: (reply) => {
    const [score, rank] = listReply(reply);
    return { score: Number(score), rank: Number(rank) };
  },
});

/** A member and its neighbours, or `null` when the member is not on the board. */
export const aroundScript = defineScript<[member: string, radius: number], LeaderboardEntry[] | null>('leaderboard/around', aroundSource, {
  keys: 2,
  parseReply: (reply) => {
    if (reply == null || reply === false) return null;
    const [first, ...flat] = listReply(reply);
    return toEntries(flat, Number(first));
  },
});

/** One page (ranks `first..last`, 0-based, inclusive) and the board's size. */
export const rangeScript = defineScript<[first: number, last: number], { total: number; entries: LeaderboardEntry[] }>(
  'leaderboard/range',
  rangeSource,
  {
    keys: 1,
    parseReply: (reply) => {
      const [total, first, ...flat] = listReply(reply);
      return { total: Number(total), entries: toEntries(flat, Number(first)) };
    },
  },
);

/** Removes a member; resolves whether it was on the board. */
export const removeScript = defineScript<[member: string], boolean>('leaderboard/remove', removeSource, {
  keys: 2,
  parseReply: (reply) => Number(reply) === 1,
});

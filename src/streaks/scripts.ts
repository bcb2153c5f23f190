// Every Lua script of the module with its contract: keys, argument types, parsed reply.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import recordSource from './scripts/record.lua';

/** What `record.lua` did. */
export interface RecordReply {
  current: number;
  longest: number;
  /** `counted`: a new period; `duplicate`: the last recorded one; `stale`: older than it (ignored). */
  status: 'counted' | 'duplicate' | 'stale';
  /** Period index of the last recorded period. */
  last: number;
}

/** An array reply as a list; anything else is a protocol surprise (a `RedisCommandError` for the caller). */
export function listReply(reply: RedisReply): unknown[] {
  if (!Array.isArray(reply)) throw new TypeError(`expected an array reply, got ${typeof reply}`);
  return reply;
}

export const recordScript = defineScript<[period: number, grace: number, historyLimit: number, ttlMs: number], RecordReply>(
  'streaks/record',
  recordSource,
  {
    keys: 2,
    parseReply: (reply) => {
      const [current, longest, status, last] = listReply(reply).map(Number);
      return {
        current: current ?? 0,
        longest: longest ?? 0,
        status: status === 1 ? 'counted' : status === 0 ? 'duplicate' : 'stale',
        last: last ?? 0,
      };
    },
  },
);

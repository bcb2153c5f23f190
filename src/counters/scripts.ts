// Every Lua script of the module with its contract: keys, argument types, parsed reply, typed errors.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import { BloomConfigError } from './errors.js';
import bloomAddSource from './scripts/bloom-add.lua';
import bloomExistsSource from './scripts/bloom-exists.lua';
import uniqueTrackSource from './scripts/unique-track.lua';
import windowIncrementSource from './scripts/window-increment.lua';
import windowReadSource from './scripts/window-read.lua';

/** What `window-read` answers: the current window's start (Redis time) and the counts from it backwards. */
export interface WindowRead {
  /** Epoch ms at which the current window starts. */
  start: number;
  /** One count per window, newest first; `0` for a window with no increments. */
  values: number[];
}

const entries = (reply: RedisReply): unknown[] => {
  if (!Array.isArray(reply)) throw new Error(`expected an array, got ${typeof reply}`);
  return reply;
};
// Redis answers a missing hash field as nil, which reaches the client as null (false inside Lua tables).
const count = (value: unknown): number => (value == null || value === false ? 0 : Number(value));
const flags = (reply: RedisReply): boolean[] => entries(reply).map((r) => Number(r) === 1);
const bloomErrors = { BLOOM_CONFIG: (detail: string) => new BloomConfigError(detail) };

export const uniqueTrackScript = defineScript<[expireAtMs: number, ...members: string[]], boolean>(
  'counters/unique-track',
  uniqueTrackSource,
  { keys: 1, parseReply: (reply) => Number(reply) === 1 },
);

export const windowIncrementScript = defineScript<[amount: number, windowMs: number, windows: number], { start: number; value: number }>(
  'counters/window-increment',
  windowIncrementSource,
  {
    keys: 1,
    parseReply: (reply) => {
      const [start, value] = entries(reply);
      return { start: Number(start), value: Number(value) };
    },
  },
);

export const windowReadScript = defineScript<[windowMs: number, windows: number], WindowRead>('counters/window-read', windowReadSource, {
  keys: 1,
  parseReply: (reply) => {
    const [start, ...values] = entries(reply);
    return { start: Number(start), values: values.map(count) };
  },
});

export const bloomAddScript = defineScript<[bits: number, hashes: number, ttlMs: number, ...positions: number[]], boolean[]>(
  'counters/bloom-add',
  bloomAddSource,
  { keys: 2, parseReply: flags, errors: bloomErrors },
);

export const bloomExistsScript = defineScript<[bits: number, hashes: number, ...positions: number[]], boolean[]>(
  'counters/bloom-exists',
  bloomExistsSource,
  { keys: 2, parseReply: flags, errors: bloomErrors },
);

/** One flag per item of a `BF.INSERT` / `BF.MEXISTS` reply. */
export const moduleFlags = flags;

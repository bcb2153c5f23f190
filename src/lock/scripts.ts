// Every Lua script of the module with its contract: keys, argument types, parsed reply.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import acquireSource from './scripts/acquire.lua';
import acquireAllSource from './scripts/acquire-all.lua';
import confirmSource from './scripts/confirm.lua';
import extendSource from './scripts/extend.lua';
import fencedWriteSource from './scripts/fenced-write.lua';
import holdSource from './scripts/hold.lua';
import releaseSource from './scripts/release.lua';
import semaphoreAcquireSource from './scripts/semaphore-acquire.lua';
import semaphoreRefreshSource from './scripts/semaphore-refresh.lua';
import semaphoreReleaseSource from './scripts/semaphore-release.lua';
import slotStateSource from './scripts/slot-state.lua';
import unlockSource from './scripts/unlock.lua';

/** One acquisition attempt of a FencedLock. */
export interface Attempt {
  granted: boolean;
  /** Token when granted. */
  token: number;
  /** Remaining TTL: of our lock when granted, of the holder's otherwise. */
  remainingMs: number;
}

/** What a FencedLock release did. */
export interface Released {
  /** 0: not held by the caller; 1: released, nobody waiting; 2: handed to a waiter. */
  code: 0 | 1 | 2;
  /** The waiter's owner id (code 2). */
  nextOwner: string;
  /** The waiter's token (code 2). */
  token: number;
}

/** A slot's state as the slot scripts report it. */
export interface SlotReply {
  state: 'free' | 'held' | 'taken' | 'booked';
  holderId: string;
  remainingMs: number;
}

const entries = (reply: RedisReply): unknown[] => reply as unknown[];
const isOne = (reply: RedisReply): boolean => Number(reply) === 1;
const slotReply = (reply: RedisReply): SlotReply => {
  const [state, holderId, remaining] = entries(reply);
  return { state: state as SlotReply['state'], holderId: holderId == null ? '' : String(holderId), remainingMs: Number(remaining ?? 0) };
};

// FencedLock's and Semaphore's acquire and release are coalesced: concurrent calls share one EVALSHA.
export const acquireScript = defineScript<[owner: string, ttlMs: number, queueMember: string, waitMs: number], Attempt>(
  'lock/acquire',
  acquireSource,
  {
    keys: 3,
    coalesce: { replyLength: 3 },
    parseReply: (reply) => {
      const [granted, token, remaining] = entries(reply);
      return { granted: Number(granted) === 1, token: Number(token), remainingMs: Math.max(0, Number(remaining)) };
    },
  },
);
/** One attempt at several FencedLocks of one slot: every token, or the first busy resource. */
export type AllAttempt =
  | { granted: true; tokens: number[] }
  | {
      granted: false;
      /** Index (0-based) of the first resource held by someone else. */
      busy: number;
      /** Its holder's remaining TTL in ms. */
      remainingMs: number;
    };

export const acquireAllScript = defineScript<[owner: string, ttlMs: number], AllAttempt>('lock/acquire-all', acquireAllSource, {
  keys: 'variadic',
  parseReply: (reply) => {
    const [granted, ...rest] = entries(reply).map(Number);
    if (granted === 1) return { granted: true, tokens: rest };
    return { granted: false, busy: (rest[0] as number) - 1, remainingMs: Math.max(0, rest[1] as number) };
  },
});
export const releaseScript = defineScript<[owner: string, instancePrefix: string, publishFlag: '1' | '0'], Released>(
  'lock/release',
  releaseSource,
  {
    keys: 4,
    coalesce: { replyLength: 3 },
    parseReply: (reply) => {
      const [code, nextOwner, token] = entries(reply);
      return { code: Number(code) as Released['code'], nextOwner: String(nextOwner), token: Number(token) };
    },
  },
);
export const extendScript = defineScript<[owner: string, ttlMs: number], boolean>('lock/extend', extendSource, {
  keys: 1,
  parseReply: isOne,
});
export const unlockScript = defineScript<[owner: string], boolean>('lock/unlock', unlockSource, { keys: 1, parseReply: isOne });
export const fencedWriteScript = defineScript<
  [token: number, ttlMs: number, ...fieldsAndValues: string[]],
  { written: boolean; newestToken: number }
>('lock/fenced-write', fencedWriteSource, {
  keys: 2,
  parseReply: (reply) => {
    const [written, newest] = entries(reply);
    return { written: Number(written) === 1, newestToken: Number(newest) };
  },
});
export const semaphoreAcquireScript = defineScript<
  [owner: string, limit: number, ttlMs: number, queueMember: string, waitMs: number, publishFlag: '1' | '0'],
  { granted: boolean; value: number }
>('lock/semaphore-acquire', semaphoreAcquireSource, {
  keys: 3,
  coalesce: { replyLength: 2, readsTime: true },
  parseReply: (reply) => {
    const [granted, value] = entries(reply);
    return { granted: Number(granted) === 1, value: Number(value) };
  },
});
/** What a semaphore release did. */
export interface PermitReleased {
  /** The caller held a live permit, now given back. */
  released: boolean;
  /** Waiters of the releasing instance granted a permit meanwhile (nothing was published for them). */
  grantedHere: string[];
}
export const semaphoreReleaseScript = defineScript<
  [owner: string, limit: number, publishFlag: '1' | '0', instancePrefix: string],
  PermitReleased
>('lock/semaphore-release', semaphoreReleaseSource, {
  keys: 3,
  coalesce: { replyLength: 2, readsTime: true },
  parseReply: (reply) => {
    const [released, granted] = entries(reply);
    // Stryker disable next-line StringLiteral: equivalent, semaphore-release.lua always returns the granted ids as a string
    const owners = String(granted ?? '');
    return { released: Number(released) === 1, grantedHere: owners === '' ? [] : owners.split(' ') };
  },
});
export const semaphoreRefreshScript = defineScript<[owner: string, ttlMs: number], boolean>(
  'lock/semaphore-refresh',
  semaphoreRefreshSource,
  {
    keys: 1,
    parseReply: isOne,
  },
);
export const holdScript = defineScript<[holderId: string, ttlMs: number], SlotReply>('lock/hold', holdSource, {
  keys: 2,
  parseReply: slotReply,
});
export const confirmScript = defineScript<[holderId: string, bookingTtlMs: number], 'confirmed' | 'booked' | 'not-held'>(
  'lock/confirm',
  confirmSource,
  { keys: 2, parseReply: (reply) => String(reply) as 'confirmed' | 'booked' | 'not-held' },
);
export const slotStateScript = defineScript<[], SlotReply>('lock/slot-state', slotStateSource, { keys: 2, parseReply: slotReply });

// Every Lua script of the module with its contract: keys, argument types, parsed reply.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import claimSource from './scripts/claim.lua';
import deleteSource from './scripts/delete.lua';
import expireSource from './scripts/expire.lua';
import invalidateSource from './scripts/invalidate.lua';
import setSource from './scripts/set.lua';

/** What a waiting caller's get-or-claim found. */
export type ClaimReply =
  /** Another instance stored the entry meanwhile: its raw (encoded) value. */
  | { state: 'stored'; entry: string }
  /** The guard was free: this caller holds it now and loads. */
  | { state: 'claimed' }
  /** Another caller still holds the guard. */
  | { state: 'held' };

const count = (reply: RedisReply): number => {
  const n = Number(reply);
  if (!Number.isSafeInteger(n)) throw new Error(`expected an integer, got ${typeof reply}`);
  return n;
};

// set, delete and invalidate take a varying number of keys (tag indexes, entries).

/**
 * `cache/set.lua`: the entry key, its guard key, then one tag index key per tag; stores the
 * entry, optionally releases the guard, indexes the tags and publishes the invalidation.
 */
export const setScript = defineScript<
  [encodedEntry: string, physicalTtlMs: number, releaseGuard: '0' | '1', channel: string, message: string, publishFlag: '0' | '1'],
  void
>('cache/set', setSource, { keys: 'variadic', parseReply: () => undefined });

/** `cache/claim.lua`: get-or-claim for callers waiting on another instance's load. */
export const claimScript = defineScript<[holder: string, guardTtlMs: number], ClaimReply>('cache/claim', claimSource, {
  keys: 2,
  parseReply: (reply) => {
    // Stryker disable next-line LogicalOperator: equivalent, claim.lua always replies a pair, which both drivers deliver as an array
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error('expected a pair');
    const detail: unknown = reply[1];
    if (Number(reply[0]) === 1) return { state: 'stored', entry: String(detail) };
    return Number(detail) === 1 ? { state: 'claimed' } : { state: 'held' };
  },
});

/** `cache/delete.lua` over entry and guard keys of one bucket; resolves how many keys existed. */
export const deleteScript = defineScript<[channel: string, message: string, publishFlag: '0' | '1'], number>('cache/delete', deleteSource, {
  keys: 'variadic',
  parseReply: count,
});

/** `cache/invalidate.lua` over a tag index, then `n` entry keys, then their `n` guard keys; resolves how many entries it deleted. */
export const invalidateScript = defineScript<[entries: number], number>('cache/invalidate', invalidateSource, {
  keys: 'variadic',
  parseReply: count,
});

/**
 * `cache/expire.lua` over a tag index, then `n` entry keys, then their `n` guard keys: marks the
 * fresh ones stale for what is left of their grace, at most `graceMs` (deletes those without
 * grace); resolves how many it expired.
 */
export const expireScript = defineScript<[entries: number, graceMs: number], number>('cache/expire', expireSource, {
  keys: 'variadic',
  parseReply: count,
});

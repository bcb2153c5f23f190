// Every Lua script of the module with its contract: keys, argument types, parsed reply.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import createSource from './scripts/create.lua';
import destroySource from './scripts/destroy.lua';
import destroyAllSource from './scripts/destroy-all.lua';
import getSource from './scripts/get.lua';
import listSource from './scripts/list.lua';
import rotateSource from './scripts/rotate.lua';
import saveSource from './scripts/save.lua';
import updateSource from './scripts/update.lua';

/** An array reply as a list; anything else is a protocol surprise (a `RedisCommandError` for the caller). */
export function listReply(reply: RedisReply): unknown[] {
  if (!Array.isArray(reply)) throw new TypeError(`expected an array reply, got ${typeof reply}`);
  return reply;
}

/** A hash as both drivers may return it (a flat field, value list or an object) as a map. */
export function toFieldMap(reply: RedisReply): Map<string, string> {
  const out = new Map<string, string>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) out.set(String(reply[i]), String(reply[i + 1]));
  } else if (reply != null && typeof reply === 'object') {
    for (const [field, value] of Object.entries(reply)) out.set(field, String(value));
  }
  return out;
}

/** What `get.lua` read: the session's fields, Redis time and the new expiry (ms since the epoch). */
export interface GetReply {
  fields: Map<string, string>;
  now: number;
  expires: number;
}

/** What `create.lua` did, times in ms since the epoch (Redis clock). */
export interface CreateReply {
  createdAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  evicted: number;
}

/** One live session as `list.lua` reports it (`ip` and `userAgent` are `''` when unknown). */
export interface ListRow {
  id: string;
  createdAt: number;
  lastSeenAt: number;
  absoluteExpiresAt: number;
  ip: string;
  userAgent: string;
  expiresAt: number;
}

const isOne = (reply: RedisReply): boolean => Number(reply) === 1;

/**
 * Reads a session and slides its expiry: by the session's own idle timeout (`''`), not at all
 * (`0`) or by that many ms. `null` when the session is not live.
 */
export const getScript = defineScript<[id: string, slide: '' | number], GetReply | null>('session/get', getSource, {
  keys: 2,
  coalesce: { replyLength: 1, readsTime: true },
  parseReply: (reply) => {
    const [json] = listReply(reply);
    if (json == null || json === '') return null;
    // One JSON string: the flat hash, then now and the new expiry (see get.lua).
    const list = listReply(JSON.parse(String(json)));
    const expires = Number(list.pop());
    const now = Number(list.pop());
    return { fields: toFieldMap(list), now, expires };
  },
});

/** Sets `pairs` field/value pairs, then deletes the remaining fields; `false` when not live. */
export const updateScript = defineScript<[id: string, pairs: number, ...fields: string[]], boolean>('session/update', updateSource, {
  keys: 2,
  parseReply: isOne,
});

/** Revokes one session, leaving a tombstone for `tombstoneMs` (`0`: none); `true` when it was live. */
export const destroyScript = defineScript<[id: string, tombstoneMs: number], boolean>('session/destroy', destroySource, {
  keys: 2,
  parseReply: isOne,
});

/** Moves a live session to a new id; `false` when the old one is not live. */
export const rotateScript = defineScript<[oldId: string, newId: string], boolean>('session/rotate', rotateSource, {
  keys: 3,
  parseReply: isOne,
});

/** What `save.lua` did: saved, refused (revoked or past its deadline), or asks for the user's index to evict. */
export type SaveReply = 'saved' | 'revoked' | 'needs-index';

/**
 * A framework store's `set`. Keys: the session hash, the user's index, then (after a
 * `needs-index` reply) the hashes of the sessions read from the index, whose ids end the arguments.
 */
export const saveScript = defineScript<
  [
    id: string,
    ttlMs: number,
    absoluteMs: number,
    userId: string,
    json: string,
    maxSessions: number,
    sliding: '1' | '0',
    tombstoneMs: number,
    ip: string,
    userAgent: string,
    indexRead: '1' | '0',
    ...knownIds: string[],
  ],
  SaveReply
>('session/save', saveSource, {
  keys: 'variadic',
  parseReply: (reply) => {
    const n = Number(reply);
    return n === 1 ? 'saved' : n === -1 ? 'needs-index' : 'revoked';
  },
});

// Scripts that take one key per session of a user, so their key count varies per call.

/**
 * Creates a session: the new session, the user index, then the user's known sessions (for
 * eviction) as keys; `fieldArgs` field/value arguments follow, then the ids of the known sessions.
 */
export const createScript = defineScript<
  [id: string, idleMs: number, absoluteMs: number, maxSessions: number, userId: string, fieldArgs: number, ...rest: string[]],
  CreateReply
>('session/create', createSource, {
  keys: 'variadic',
  parseReply: (reply) => {
    const [createdAt, expiresAt, absoluteExpiresAt, evicted] = listReply(reply).map(Number);
    return { createdAt: createdAt ?? 0, expiresAt: expiresAt ?? 0, absoluteExpiresAt: absoluteExpiresAt ?? 0, evicted: evicted ?? 0 };
  },
});

/** Revokes every session of a user (keys: the index, then the session hashes); resolves how many the index held. */
export const destroyAllScript = defineScript<[tombstoneMs: number], number>('session/destroy-all', destroyAllSource, {
  keys: 'variadic',
  parseReply: (reply) => Number(reply),
});

/** A user's live sessions (keys: the index, then the session hashes of the ids given as arguments). */
export const listScript = defineScript<string[], ListRow[]>('session/list', listSource, {
  keys: 'variadic',
  parseReply: (reply) =>
    listReply(reply).map((row) => {
      const [id, created, lastSeen, deadline, ip, userAgent, expires] = listReply(row);
      return {
        id: String(id),
        createdAt: Number(created),
        lastSeenAt: Number(lastSeen),
        absoluteExpiresAt: Number(deadline),
        // Stryker disable next-line StringLiteral: equivalent, list.lua already sends '' for a missing ip
        ip: String(ip ?? ''),
        // Stryker disable next-line StringLiteral: equivalent, list.lua already sends '' for a missing user agent
        userAgent: String(userAgent ?? ''),
        expiresAt: Number(expires),
      };
    }),
});

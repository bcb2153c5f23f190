import type { RedisConnection } from '../core/connection.js';
import type { KeySpace } from '../core/keys.js';

/**
 * Hash fields of a stored session. Short names because every session carries them.
 * Data fields of {@link SessionStore} sessions are stored as `d:<name>`.
 */
export const F = {
  user: 'u',
  created: 'c',
  lastSeen: 'l',
  deadline: 'x',
  idle: 't',
  ip: 'ip',
  userAgent: 'ua',
  tombstone: 'r',
  express: 'e',
  dataPrefix: 'd:',
} as const;

/**
 * Key names of the module. Every key of a user shares the user's routing tag:
 * `prefix:session:{tag}:s:<id>` (one session hash) and `prefix:session:{tag}:idx`
 * (the sorted set of the user's live session ids, scored by creation time).
 */
export class SessionKeys {
  private readonly ks: KeySpace;

  constructor(connection: RedisConnection) {
    this.ks = connection.keys('session');
  }

  /** The hash of one session. */
  session(tag: string, id: string): string {
    return this.ks.key(tag, 's', id);
  }

  /** The index of one user's sessions. */
  index(tag: string): string {
    return this.ks.key(tag, 'idx');
  }

  /** `SCAN` pattern matching every session hash (admin calls only). */
  sessionPattern(): string {
    return `${this.ks.pattern().slice(0, -1)}{*}:s:*`;
  }

  /** The id part of a session hash key. */
  idOf(sessionKey: string): string {
    return sessionKey.slice(sessionKey.lastIndexOf(':') + 1);
  }

  /** The routing tag of a session hash key. */
  tagOf(sessionKey: string): string {
    return sessionKey.slice(sessionKey.indexOf('{') + 1, sessionKey.indexOf('}'));
  }
}

/** What `get.lua` read: the session's fields, Redis time and the new expiry (ms since the epoch). */
export interface GetReply {
  fields: Map<string, string>;
  now: number;
  expires: number;
}

/** Decodes the JSON string `get.lua` replies with. */
export function decodeGetReply(reply: unknown): GetReply {
  const list = JSON.parse(String(reply)) as (string | number)[];
  const expires = Number(list.pop());
  const now = Number(list.pop());
  return { fields: toFieldMap(list), now, expires };
}

/** Turns a flat `HGETALL` reply into a map. */
export function toFieldMap(flat: readonly unknown[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(String(flat[i]), String(flat[i + 1]));
  return out;
}

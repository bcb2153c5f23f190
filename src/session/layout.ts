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
    this.ks = connection.keys('session', { durable: true });
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
    // Stryker disable next-line MethodExpression: equivalent, the extra * before {*} matches nothing more (every key of the module starts with {tag})
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

import { createHash, createHmac, randomBytes } from 'node:crypto';

// 128 bits of routing tag: collisions between users are negligible, so the tag alone can
// name a user's index. 256 bits of secret: nothing to guess, so a plain hash can store it.
const TAG_BYTES = 16;
const SECRET_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;

/** A token split into its parts, plus the id under which its session is stored. */
export interface ParsedToken {
  /** Routing tag: the hash tag of the user's keys (a pseudonym of the user id, or random). */
  tag: string;
  /** SHA-256 of the whole token, base64url: the only form of the token Redis ever sees. */
  id: string;
}

/**
 * Derives the routing tag of a user: HMAC-SHA256(secret, userId) when a secret is
 * configured, SHA-256(userId) otherwise, truncated to 128 bits. Every session of the
 * user and the user's index share it, so "log out everywhere" touches one slot.
 */
export function userTag(userId: string, secret: string | Buffer | undefined): string {
  const mac = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  return mac.update(`redis-patterns/session\0${userId}`).digest().subarray(0, TAG_BYTES).toString('base64url');
}

/** A random routing tag, for sessions that belong to nobody yet (an anonymous express-session). */
export function randomTag(): string {
  return randomBytes(TAG_BYTES).toString('base64url');
}

/** A new token `<tag>.<secret>`: URL- and cookie-safe, 256 random bits after the tag. */
export function newToken(tag: string): string {
  return `${tag}.${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** The stored id of a token: SHA-256 of the whole token, base64url. */
export function tokenId(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Parses a token without contacting Redis. Anything that is not exactly the shape of
 * the tokens this module issues, `<tag>.<secret>` (wrong type, empty, oversized, bad
 * characters), gives `null`.
 */
export function parseToken(token: unknown): ParsedToken | null {
  if (typeof token !== 'string' || token.length !== 66 || !TOKEN_SHAPE.test(token)) return null;
  return { tag: token.slice(0, 22), id: tokenId(token) };
}

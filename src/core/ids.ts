import { randomBytes } from 'node:crypto';

/** A random, URL-safe identifier from `bytes` bytes of `crypto.randomBytes` (default 16 = 128 bits). */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

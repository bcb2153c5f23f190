import { ValidationError } from './errors.js';

// `%` is the escape character; `{` `}` would move a key to another slot, `:` would
// let one part pose as two. Everything else (spaces, newlines, unicode) is binary-safe in Redis.
const NEEDS_ESCAPE = /[%{}:]/;
const ESCAPES: Record<string, string> = { '%': '%25', '{': '%7B', '}': '%7D', ':': '%3A' };
// An empty hash tag `{}` makes Redis hash the whole key, so the empty string gets
// a marker no other input can produce (`%` is otherwise always followed by two hex digits).
const EMPTY = '%_';
// An unpaired surrogate has no UTF-8 form (clients send U+FFFD instead), so it is written
// as `%u` and its four hex digits, which no other input produces.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Encodes one user-supplied key part so that distinct inputs always give distinct
 * outputs that contain no `{`, `}` or `:`, and reach Redis as distinct bytes. Inputs
 * without those characters (or `%`, or an unpaired UTF-16 surrogate) are returned
 * unchanged, so keys stay readable in `redis-cli`.
 */
export function encodeKeyPart(part: string): string {
  if (part.length === 0) return EMPTY;
  const wellFormed = part.isWellFormed();
  if (wellFormed && !NEEDS_ESCAPE.test(part)) return part;
  const escaped = part.replace(/[%{}:]/g, (c) => ESCAPES[c] as string);
  return wellFormed ? escaped : escaped.replace(LONE_SURROGATE, (c) => `%u${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Builds the keys of one module under one namespace:
 * `prefix:module:{tag}:part:part`. Every key of one operation is built from one
 * tag, so they share a hash slot on a Redis Cluster.
 *
 * @example
 * const keys = new KeySpace('app', 'lock');
 * keys.key('refill:42', 'owner'); // 'app:lock:{refill%3A42}:owner'
 */
export class KeySpace {
  /** `prefix:module:` with a trailing colon, or `module:` when the prefix is empty. */
  readonly base: string;

  /**
   * @param prefix - the application namespace (may contain `:`, never `{` or `}`); empty for none
   * @param module - the module's name, fixed by the library (e.g. `lock`)
   */
  constructor(prefix: string, module: string) {
    if (/[{}]/.test(prefix)) throw new ValidationError('prefix', 'must not contain { or }');
    if (!prefix.isWellFormed()) throw new ValidationError('prefix', 'must not contain unpaired UTF-16 surrogates');
    if (!/^[a-z][a-z0-9-]*$/.test(module)) throw new ValidationError('module', `invalid module name ${module}`);
    this.base = prefix ? `${prefix}:${module}:` : `${module}:`;
  }

  /** The hash-tagged stem shared by every key of `tag`: `prefix:module:{tag}`. */
  stem(tag: string): string {
    return `${this.base}{${encodeKeyPart(tag)}}`;
  }

  /** One key: `prefix:module:{tag}` followed by each encoded part. */
  key(tag: string, ...parts: string[]): string {
    let out = this.stem(tag);
    for (const p of parts) out += `:${encodeKeyPart(p)}`;
    return out;
  }

  /** A `SCAN MATCH` pattern for every key of this module under the prefix (admin use only). */
  pattern(): string {
    return `${this.base.replace(/[*?[\]\\]/g, '\\$&')}*`;
  }
}

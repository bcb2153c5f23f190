import { createHash } from 'node:crypto';
import { ValidationError } from '../core/errors.js';
import { assertNonNegativeInteger } from '../core/validation.js';

/** Options of {@link stableKey}. */
export interface StableKeyOptions {
  /**
   * Longer encodings are replaced by a SHA-256 digest (keeping the first 32 characters readable);
   * an integer >= 0. Default `200`.
   */
  maxLength?: number;
}

/**
 * A stable cache key from structured criteria (a search's filters, a finder's
 * query options): the same criteria give the same key whatever their property
 * order, different criteria give different keys. Object keys are sorted,
 * `undefined` properties dropped, Dates written as ISO strings, symbol keys
 * (e.g. Sequelize's `Op.gt`) by their description, functions and classes by
 * their name. Long keys are hashed. Cycles throw a {@link ValidationError}.
 *
 * @example
 * stableKey({ specialty: 'cardiology', zip: '02139', insurers: ['aetna'] })
 * // '{insurers:["aetna"],specialty:"cardiology",zip:"02139"}'
 */
export function stableKey(criteria: unknown, options: StableKeyOptions = {}): string {
  const maxLength = options.maxLength ?? 200;
  assertNonNegativeInteger('maxLength', maxLength);
  const text = encode(criteria, new Set());
  if (text.length <= maxLength) return text;
  return `${text.slice(0, 32)}#${createHash('sha256').update(text).digest('base64url')}`;
}

function encode(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return `@${value.description ?? ''}`;
    case 'function':
      return `fn:${value.name}`;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (obj instanceof Date) return `D${Number.isNaN(obj.getTime()) ? 'invalid' : obj.toISOString()}`;
  if (seen.has(obj)) throw new ValidationError('criteria', 'contains a cycle');
  seen.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = `[${obj.map((v) => encode(v, seen)).join(',')}]`;
  } else if (obj instanceof Map || obj instanceof Set) {
    const items = [...obj].map((v) => encode(v, seen)).sort();
    out = `${obj instanceof Map ? 'M' : 'S'}[${items.join(',')}]`;
  } else {
    const rec = obj as Record<string | symbol, unknown>;
    const parts: string[] = [];
    for (const k of Object.keys(rec).sort()) {
      if (rec[k] !== undefined) parts.push(`${JSON.stringify(k)}:${encode(rec[k], seen)}`);
    }
    const symbols = Object.getOwnPropertySymbols(rec)
      .map((s) => [`@${s.description ?? ''}`, rec[s]] as const)
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    for (const [k, v] of symbols) if (v !== undefined) parts.push(`${k}:${encode(v, seen)}`);
    out = `{${parts.join(',')}}`;
  }
  seen.delete(obj);
  return out;
}

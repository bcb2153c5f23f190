import { SerializationError, ValidationError } from './errors.js';

/** Turns values into strings stored in Redis and back. */
export interface Serializer {
  /** Encodes `value`; throws {@link SerializationError} for values it cannot represent. */
  serialize(value: unknown): string;
  /** Decodes what {@link Serializer.serialize} produced. */
  deserialize<T = unknown>(raw: string): T;
}

/**
 * Throws a {@link ValidationError} naming `field` unless `value` is an object with `serialize`
 * and `deserialize` functions (`JSON` itself, with `stringify` and `parse`, is not one).
 */
export function assertSerializer(field: string, value: unknown): asserts value is Serializer {
  const s = value as Partial<Serializer> | null;
  if (s === null || typeof s !== 'object' || typeof s.serialize !== 'function' || typeof s.deserialize !== 'function') {
    throw new ValidationError(field, 'must be an object with serialize and deserialize functions');
  }
}

/**
 * JSON serializer, the default. Rejects values JSON cannot round-trip
 * (functions, symbols, `undefined` at top level, BigInt, cycles) with a
 * {@link SerializationError}, and drops `__proto__` and `constructor.prototype`
 * keys when parsing so stored data can never pollute prototypes of objects it
 * is later merged into.
 */
export const jsonSerializer: Serializer = {
  serialize(value: unknown): string {
    let out: string | undefined;
    try {
      out = JSON.stringify(value);
    } catch (cause) {
      throw new SerializationError(`value is not JSON-serializable: ${(cause as Error).message}`, { cause });
    }
    if (out === undefined) throw new SerializationError(`value of type ${typeof value} is not JSON-serializable`);
    return out;
  },
  deserialize<T = unknown>(raw: string): T {
    try {
      return (raw.includes('__proto__') || raw.includes('constructor') ? JSON.parse(raw, safeReviver) : JSON.parse(raw)) as T;
    } catch (cause) {
      throw new SerializationError(`stored value is not valid JSON: ${(cause as Error).message}`, { cause });
    }
  },
};

function safeReviver(key: string, value: unknown): unknown {
  if (key === '__proto__') return undefined;
  if (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value) return undefined;
  return value;
}

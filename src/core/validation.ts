import { ValidationError } from './errors.js';

/** Longest user-supplied key part (resource name, identity, ...) accepted by default, in UTF-8 bytes. */
export const MAX_KEY_PART_BYTES = 1024;

/**
 * The value of a boolean option: `fallback` when it is left out (`undefined`), else `value`
 * itself; throws a {@link ValidationError} for anything but a boolean, so that a string such as
 * `'false'` read from the environment is refused rather than taken as true.
 */
export function booleanOption(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValidationError(field, `must be a boolean, got ${describe(value)}`);
  return value;
}

/** Throws a {@link ValidationError} unless `value` is `undefined` (no signal) or an `AbortSignal`. */
export function assertSignal(field: string, value: unknown): asserts value is AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new ValidationError(field, `must be an AbortSignal, got ${describe(value)}`);
  }
}

/** Throws a {@link ValidationError} unless `value` is a finite number greater than zero. */
export function assertPositive(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(field, `must be a finite number > 0, got ${describe(value)}`);
  }
}

/** Throws a {@link ValidationError} unless `value` is an integer greater than zero. */
export function assertPositiveInteger(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ValidationError(field, `must be an integer > 0, got ${describe(value)}`);
  }
}

/** Throws a {@link ValidationError} unless `value` is an integer >= 0. */
export function assertNonNegativeInteger(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(field, `must be an integer >= 0, got ${describe(value)}`);
  }
}

/** Throws a {@link ValidationError} unless `value` is a finite number >= 0. */
export function assertNonNegative(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(field, `must be a finite number >= 0, got ${describe(value)}`);
  }
}

/** Throws a {@link ValidationError} unless `min <= value <= max` (finite). */
export function assertInRange(field: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ValidationError(field, `must be a number in [${min}, ${max}], got ${describe(value)}`);
  }
}

/**
 * Throws a {@link ValidationError} unless `value` is a string without unpaired UTF-16
 * surrogates: the check every user-supplied string sent to Redis as it is (a member, a
 * field name, a job name) gets. A lone surrogate such as `'\uD800'` has no UTF-8 form:
 * clients send it as the bytes of U+FFFD, so two distinct inputs would reach Redis as one.
 */
export function assertText(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new ValidationError(field, `must be a string, got ${describe(value)}`);
  if (!value.isWellFormed()) {
    throw new ValidationError(field, 'must not contain unpaired UTF-16 surrogates (Redis would receive U+FFFD in their place)');
  }
}

/**
 * Throws a {@link ValidationError} unless `value` is a non-empty, well-formed string (see
 * {@link assertText}) of at most `maxBytes` UTF-8 bytes: the check every user-supplied key
 * part and identifier gets.
 */
export function assertKeyPart(field: string, value: unknown, maxBytes = MAX_KEY_PART_BYTES): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, `must be a non-empty string, got ${describe(value)}`);
  }
  assertText(field, value);
  // length * 3 bounds the UTF-8 size of a UTF-16 string, so the exact count is only needed near the limit.
  // Stryker disable next-line StringLiteral: equivalent, Buffer.byteLength reads an empty encoding name as its default, UTF-8
  if (value.length * 3 > maxBytes && Buffer.byteLength(value, 'utf8') > maxBytes) {
    throw new ValidationError(field, `must be at most ${maxBytes} bytes`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `a ${value.length}-char string` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import {
  assertInRange,
  assertKeyPart,
  assertNonNegative,
  assertNonNegativeInteger,
  assertPositive,
  assertPositiveInteger,
  assertSignal,
  assertText,
  booleanOption,
  MAX_KEY_PART_BYTES,
} from '../../src/kit/index.js';
import { thrownBy } from '../harness/thrown.js';

/** The ValidationError `call` throws (fails the test when it throws nothing or something else). */
const thrown = (call: () => unknown) => thrownBy(call, ValidationError);

describe('validation: bounds', () => {
  it('assertPositive accepts finite numbers above zero, nothing else', () => {
    for (const ok of [Number.MIN_VALUE, 0.5, 1, 1e300]) expect(() => assertPositive('ttlMs', ok)).not.toThrow();
    for (const bad of [0, -0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1', null]) {
      expect(thrown(() => assertPositive('ttlMs', bad)).field).toBe('ttlMs');
    }
    expect(thrown(() => assertPositive('ttlMs', 0)).message).toBe('ttlMs: must be a finite number > 0, got 0');
  });

  it('assertPositiveInteger accepts safe integers above zero, nothing else', () => {
    for (const ok of [1, 2, Number.MAX_SAFE_INTEGER]) expect(() => assertPositiveInteger('limit', ok)).not.toThrow();
    for (const bad of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.POSITIVE_INFINITY, Number.NaN, '2']) {
      expect(thrown(() => assertPositiveInteger('limit', bad)).field).toBe('limit');
    }
    expect(thrown(() => assertPositiveInteger('limit', 1.5)).message).toBe('limit: must be an integer > 0, got 1.5');
  });

  it('assertNonNegativeInteger accepts zero and safe integers above it, nothing else', () => {
    for (const ok of [0, 1, Number.MAX_SAFE_INTEGER]) expect(() => assertNonNegativeInteger('retries', ok)).not.toThrow();
    for (const bad of [-1, 0.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, '0']) {
      expect(thrown(() => assertNonNegativeInteger('retries', bad)).field).toBe('retries');
    }
    expect(thrown(() => assertNonNegativeInteger('retries', -1)).message).toBe('retries: must be an integer >= 0, got -1');
  });

  it('assertNonNegative accepts zero and finite numbers above it, nothing else', () => {
    for (const ok of [0, 0.25, 7]) expect(() => assertNonNegative('graceMs', ok)).not.toThrow();
    for (const bad of [-0.1, Number.NaN, Number.POSITIVE_INFINITY, '0']) {
      expect(thrown(() => assertNonNegative('graceMs', bad)).field).toBe('graceMs');
    }
    expect(thrown(() => assertNonNegative('graceMs', -0.5)).message).toBe('graceMs: must be a finite number >= 0, got -0.5');
  });

  it('booleanOption gives the fallback for a missing option, the boolean given, and refuses anything else', () => {
    expect([booleanOption('sliding', undefined, true), booleanOption('sliding', undefined, false)]).toEqual([true, false]);
    expect([booleanOption('sliding', false, true), booleanOption('sliding', true, false)]).toEqual([false, true]);
    for (const bad of ['false', 'true', 0, 1, null, {}]) expect(thrown(() => booleanOption('sliding', bad, true)).field).toBe('sliding');
    expect(thrown(() => booleanOption('sliding', 'false', true)).message).toBe('sliding: must be a boolean, got "false"');
  });

  it('assertSignal accepts no signal and an AbortSignal, aborted or not, nothing else', () => {
    for (const ok of [undefined, new AbortController().signal, AbortSignal.abort()]) expect(() => assertSignal('signal', ok)).not.toThrow();
    for (const bad of [null, {}, new AbortController(), 'abort', { aborted: false }])
      expect(thrown(() => assertSignal('signal', bad)).field).toBe('signal');
    expect(thrown(() => assertSignal('signal', 'stop')).message).toBe('signal: must be an AbortSignal, got "stop"');
  });

  it('assertInRange accepts both ends of the range and nothing outside it', () => {
    for (const ok of [0.1, 0.5, 0.9]) expect(() => assertInRange('ratio', ok, 0.1, 0.9)).not.toThrow();
    for (const bad of [0.09, 0.91, Number.NaN, Number.NEGATIVE_INFINITY, '0.5']) {
      expect(thrown(() => assertInRange('ratio', bad, 0.1, 0.9)).field).toBe('ratio');
    }
    expect(thrown(() => assertInRange('ratio', 2, 0.1, 0.9)).message).toBe('ratio: must be a number in [0.1, 0.9], got 2');
  });
});

describe('validation: how a rejected value is described', () => {
  it('quotes a short string, counts a long one, prints numbers, booleans, null and undefined, names other types', () => {
    const got = (value: unknown) => thrown(() => assertPositive('n', value)).message.replace('n: must be a finite number > 0, got ', '');
    expect(got('abc')).toBe('"abc"');
    expect(got('x'.repeat(40))).toBe(JSON.stringify('x'.repeat(40)));
    expect(got('x'.repeat(41))).toBe('a 41-char string');
    expect(got(-3)).toBe('-3');
    expect(got(Number.NaN)).toBe('NaN');
    expect(got(true)).toBe('true');
    expect(got(null)).toBe('null');
    expect(got(undefined)).toBe('undefined');
    expect(got({ a: 1 })).toBe('object');
    expect(got(5n)).toBe('bigint');
  });
});

describe('validation: text and key parts', () => {
  it('assertText takes any well-formed string, empty included', () => {
    for (const ok of ['', 'a', 'ünï', '🩺']) expect(() => assertText('member', ok)).not.toThrow();
    expect(thrown(() => assertText('member', 7)).message).toBe('member: must be a string, got 7');
    expect(thrown(() => assertText('member', 'a\uD800')).message).toBe(
      'member: must not contain unpaired UTF-16 surrogates (Redis would receive U+FFFD in their place)',
    );
  });

  it('assertKeyPart refuses the empty string, non-strings and lone surrogates', () => {
    expect(thrown(() => assertKeyPart('id', '')).message).toBe('id: must be a non-empty string, got ""');
    expect(thrown(() => assertKeyPart('id', 12)).message).toBe('id: must be a non-empty string, got 12');
    expect(thrown(() => assertKeyPart('id', '\uDC00x')).message).toMatch(/^id: must not contain unpaired UTF-16 surrogates/);
  });

  it('assertKeyPart counts UTF-8 bytes up to 1,024 by default', () => {
    expect(MAX_KEY_PART_BYTES).toBe(1024);
    expect(() => assertKeyPart('id', 'x'.repeat(1024))).not.toThrow();
    expect(thrown(() => assertKeyPart('id', 'x'.repeat(1025))).message).toBe('id: must be at most 1024 bytes');
    // 512 two-byte characters are 1,024 bytes; one more ASCII character is one byte too many.
    expect(() => assertKeyPart('id', 'é'.repeat(512))).not.toThrow();
    expect(thrown(() => assertKeyPart('id', `${'é'.repeat(512)}x`)).field).toBe('id');
    // 341 three-byte characters (1,023 bytes) fit even though 341 * 3 + 1 code units would not.
    expect(() => assertKeyPart('id', `${'日'.repeat(341)}x`)).not.toThrow();
    expect(thrown(() => assertKeyPart('id', `${'日'.repeat(341)}xy`)).field).toBe('id');
  });

  it('assertKeyPart takes another limit', () => {
    expect(() => assertKeyPart('name', 'abcd', 4)).not.toThrow();
    expect(thrown(() => assertKeyPart('name', 'abcde', 4)).message).toBe('name: must be at most 4 bytes');
    expect(thrown(() => assertKeyPart('name', 'éé¢', 5)).message).toBe('name: must be at most 5 bytes');
    expect(() => assertKeyPart('name', 'éé', 4)).not.toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { stableKey } from '../../src/cache/index.js';
import { ValidationError } from '../../src/index.js';

describe('stableKey', () => {
  it('is independent of property order and drops undefined', () => {
    expect(stableKey({ b: 1, a: { d: [1, 2], c: 'x' }, z: undefined })).toBe(stableKey({ a: { c: 'x', d: [1, 2] }, b: 1 }));
    expect(stableKey({ a: 1 })).toBe('{"a":1}');
  });

  it('tells apart what JSON would confuse', () => {
    const keys = [
      stableKey({ a: '1' }),
      stableKey({ a: 1 }),
      stableKey({ a: [1, 2] }),
      stableKey({ a: [2, 1] }),
      stableKey({ a: null }),
      stableKey({ a: new Date(0) }),
      stableKey({ a: '1970-01-01T00:00:00.000Z' }),
      stableKey({ a: Symbol.for('gt') }),
      stableKey({ [Symbol.for('gt')]: 1 }),
      stableKey({ [Symbol.for('lt')]: 1 }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('hashes long criteria, keeping a readable head', () => {
    const long = stableKey({ ids: Array.from({ length: 500 }, (_, i) => i) });
    expect(long.length).toBeLessThan(100);
    expect(long.startsWith('{"ids":[0,1,2')).toBe(true);
    expect(stableKey({ ids: Array.from({ length: 500 }, (_, i) => i) })).toBe(long);
    expect(stableKey({ ids: Array.from({ length: 500 }, (_, i) => i + 1) })).not.toBe(long);
  });

  it('rejects cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => stableKey(a)).toThrow(ValidationError);
    // A shared (non-cyclic) reference is fine.
    const shared = { x: 1 };
    expect(stableKey({ p: shared, q: shared })).toBe('{"p":{"x":1},"q":{"x":1}}');
  });

  it('writes each kind of value in its own exact form', () => {
    expect(stableKey(true)).toBe('true');
    expect(stableKey(false)).toBe('false');
    expect(stableKey(12n)).toBe('12n');
    expect(stableKey(undefined)).toBe('undefined');
    expect(stableKey([undefined])).toBe('[undefined]');
    expect(stableKey(null)).toBe('null');
    expect(stableKey(Symbol('gt'))).toBe('@gt');
    expect(stableKey(Symbol())).toBe('@');
    expect(stableKey(function finder() {})).toBe('fn:finder');
    expect(stableKey(new Date(0))).toBe('D1970-01-01T00:00:00.000Z');
    expect(stableKey(new Date(Number.NaN))).toBe('Dinvalid');
  });

  it('writes Maps and Sets by their sorted items, told apart from arrays and each other', () => {
    expect(stableKey(new Set([2, 1]))).toBe('S[1,2]');
    expect(stableKey(new Set([1, 2]))).toBe(stableKey(new Set([2, 1])));
    expect(
      stableKey(
        new Map([
          ['b', 2],
          ['a', 1],
        ]),
      ),
    ).toBe('M[["a",1],["b",2]]');
    expect(stableKey({ s: new Set(['x']) })).not.toBe(stableKey({ s: new Map([['x', 1]]) }));
  });

  it('orders symbol keys by description and drops undefined ones', () => {
    const a = { [Symbol('b')]: 2, [Symbol('a')]: 1, [Symbol('c')]: undefined };
    const b = { [Symbol('a')]: 1, [Symbol('b')]: 2 };
    expect(stableKey(a)).toBe('{@a:1,@b:2}');
    expect(stableKey(b)).toBe('{@a:1,@b:2}');
    // Same description twice: the comparator returns 0, the order of insertion is kept.
    expect(stableKey({ [Symbol('b')]: 1, [Symbol('a')]: 0, [Symbol('a')]: 2 })).toBe('{@a:0,@a:2,@b:1}');
  });

  it('hashes only encodings longer than maxLength, with a base64url SHA-256', () => {
    const exact = stableKey('x'.repeat(8), { maxLength: 10 });
    expect(exact).toBe(`"${'x'.repeat(8)}"`);
    const over = stableKey('x'.repeat(9), { maxLength: 10 });
    expect(over).toMatch(/^"x{9}"#[A-Za-z0-9_-]{43}$/);
    // 0 hashes every key; a length that is not a whole number is refused, not compared as text.
    expect(stableKey('', { maxLength: 0 })).toMatch(/^""#[A-Za-z0-9_-]{43}$/);
    for (const maxLength of [-1, 1.5, Number.NaN, '200']) {
      expect(() => stableKey('x', { maxLength: maxLength as number })).toThrow(ValidationError);
    }
  });

  it('names the criteria and the cycle in its error', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    const err = (() => {
      try {
        stableKey(a);
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err?.field).toBe('criteria');
    expect(err?.message).toBe('criteria: contains a cycle');
  });
});

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
});

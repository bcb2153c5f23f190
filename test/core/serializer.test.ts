import { describe, expect, it } from 'vitest';
import { jsonSerializer, SerializationError } from '../../src/index.js';

describe('jsonSerializer', () => {
  it('round-trips plain data', () => {
    const v = { a: 1, b: ['x', null, true], c: { d: 'é' } };
    expect(jsonSerializer.deserialize(jsonSerializer.serialize(v))).toEqual(v);
  });

  it('rejects what JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => jsonSerializer.serialize(cyclic)).toThrow(SerializationError);
    expect(() => jsonSerializer.serialize(10n)).toThrow(SerializationError);
    expect(() => jsonSerializer.serialize(undefined)).toThrow(SerializationError);
    expect(() => jsonSerializer.serialize(() => 1)).toThrow(SerializationError);
    expect(() => jsonSerializer.deserialize('{nope')).toThrow(SerializationError);
  });

  it('drops prototype-polluting keys', () => {
    const parsed = jsonSerializer.deserialize<Record<string, unknown>>(
      '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"ok":2}',
    );
    expect(Object.hasOwn(parsed, '__proto__')).toBe(false);
    expect(Object.hasOwn(parsed, 'constructor')).toBe(false);
    expect(parsed.ok).toBe(2);
    const target = Object.assign({}, parsed);
    expect((target as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

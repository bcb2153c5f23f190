import { describe, expect, it } from 'vitest';
import { jsonSerializer, SerializationError } from '../../src/index.js';
import { thrownBy } from '../harness/thrown.js';

const failure = (call: () => unknown) => thrownBy(call, SerializationError);

describe('jsonSerializer errors', () => {
  it('say why a value cannot be stored, keeping JSON’s own error as the cause', () => {
    const bigint = failure(() => jsonSerializer.serialize(10n));
    expect(bigint.message).toBe('value is not JSON-serializable: Do not know how to serialize a BigInt');
    expect(bigint.cause).toBeInstanceOf(TypeError);
    expect(failure(() => jsonSerializer.serialize(undefined)).message).toBe('value of type undefined is not JSON-serializable');
    expect(failure(() => jsonSerializer.serialize(Symbol('s'))).message).toBe('value of type symbol is not JSON-serializable');
    expect(failure(() => jsonSerializer.serialize(() => 1)).message).toBe('value of type function is not JSON-serializable');
  });

  it('say why a stored value cannot be read, keeping the parser’s error as the cause', () => {
    const broken = failure(() => jsonSerializer.deserialize('{nope'));
    expect(broken.message).toMatch(/^stored value is not valid JSON: \S/);
    expect(broken.cause).toBeInstanceOf(SyntaxError);
    expect(broken.message).toBe(`stored value is not valid JSON: ${(broken.cause as Error).message}`);
    // Also when the text mentions a guarded key.
    expect(failure(() => jsonSerializer.deserialize('{"constructor":')).cause).toBeInstanceOf(SyntaxError);
  });

  it('keep ordinary keys that only resemble guarded ones', () => {
    expect(jsonSerializer.deserialize('{"constructor":{"name":"x"},"c":null}')).toEqual({ constructor: { name: 'x' }, c: null });
    expect(jsonSerializer.deserialize('{"constructor":null}')).toEqual({ constructor: null });
    expect(jsonSerializer.deserialize('{"constructor":"prototype"}')).toEqual({ constructor: 'prototype' });
    expect(jsonSerializer.deserialize('{"__proto__x":1,"constructor":{"prototype":1}}')).toEqual({ __proto__x: 1 });
    expect(jsonSerializer.deserialize('"constructor"')).toBe('constructor');
    // Only a key named constructor is guarded: another object with a prototype field is data.
    expect(jsonSerializer.deserialize('{"constructor":1,"drug":{"prototype":"v2"}}')).toEqual({
      constructor: 1,
      drug: { prototype: 'v2' },
    });
  });

  it('drop a guarded key when the text holds only one kind of them', () => {
    const onlyConstructor = jsonSerializer.deserialize<object>('{"constructor":{"prototype":{"polluted":1}},"ok":1}');
    expect(Object.hasOwn(onlyConstructor, 'constructor')).toBe(false);
    expect(Object.hasOwn(onlyConstructor, 'ok')).toBe(true);
    const onlyProto = jsonSerializer.deserialize<{ a: object }>('{"a":{"__proto__":{"polluted":1},"b":2}}');
    expect(Object.hasOwn(onlyProto.a, '__proto__')).toBe(false);
    expect(Object.hasOwn(onlyProto.a, 'b')).toBe(true);
  });
});

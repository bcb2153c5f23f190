import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { encodeKeyPart, KeySpace } from '../../src/kit/index.js';
import { thrownBy } from '../harness/thrown.js';

describe('key part encoding', () => {
  it('escapes exactly %, {, } and : and marks the empty string', () => {
    expect(encodeKeyPart('plain text, ünï 🩺')).toBe('plain text, ünï 🩺');
    expect(encodeKeyPart('')).toBe('%_');
    expect(encodeKeyPart('%')).toBe('%25');
    expect(encodeKeyPart('{')).toBe('%7B');
    expect(encodeKeyPart('}')).toBe('%7D');
    expect(encodeKeyPart(':')).toBe('%3A');
    expect(encodeKeyPart('a:{b}%c:')).toBe('a%3A%7Bb%7D%25c%3A');
  });

  it('writes an unpaired surrogate as %u and its four upper-case hex digits, keeping pairs', () => {
    expect(encodeKeyPart('\uD800')).toBe('%uD800');
    expect(encodeKeyPart('a\udbff')).toBe('a%uDBFF');
    expect(encodeKeyPart('\uDC00b')).toBe('%uDC00b');
    expect(encodeKeyPart('\uDC00\uD800')).toBe('%uDC00%uD800');
    expect(encodeKeyPart('🩺\uD83E')).toBe('🩺%uD83E');
    expect(encodeKeyPart('{\uDFFF}:')).toBe('%7B%uDFFF%7D%3A');
  });
});

describe('KeySpace', () => {
  it('builds prefix:module:{tag}:part keys', () => {
    const ks = new KeySpace('app:v2', 'rate-limit');
    expect(ks.base).toBe('app:v2:rate-limit:');
    expect(ks.stem('user:42')).toBe('app:v2:rate-limit:{user%3A42}');
    expect(ks.key('user:42')).toBe('app:v2:rate-limit:{user%3A42}');
    expect(ks.key('t', 'a', '', 'b:c')).toBe('app:v2:rate-limit:{t}:a:%_:b%3Ac');
  });

  it('has no leading colon without a prefix', () => {
    const ks = new KeySpace('', 'lock');
    expect(ks.base).toBe('lock:');
    expect(ks.key('r', 'fence')).toBe('lock:{r}:fence');
    expect(ks.pattern()).toBe('lock:*');
  });

  it('escapes glob characters of the prefix in its SCAN pattern', () => {
    expect(new KeySpace('a*b?c[d]e\\f', 'cache').pattern()).toBe('a\\*b\\?c\\[d\\]e\\\\f:cache:*');
    expect(new KeySpace('app', 'cache').pattern()).toBe('app:cache:*');
  });

  it('refuses a prefix with braces or unpaired surrogates, and a module name that is not lowercase words', () => {
    const refused = (prefix: string, module: string) => thrownBy(() => new KeySpace(prefix, module), ValidationError);
    expect(refused('a}', 'lock').message).toBe('prefix: must not contain { or }');
    expect(refused('{', 'lock').field).toBe('prefix');
    expect(refused('app\uD800', 'lock').message).toBe('prefix: must not contain unpaired UTF-16 surrogates');
    expect(refused('app', 'Lock').message).toBe('module: invalid module name Lock');
    for (const bad of ['', '1lock', '-lock', 'lock_x', 'lock:x', ' lock', 'lock ']) expect(refused('app', bad).field).toBe('module');
    for (const good of ['l', 'lock', 'rate-limit', 'x2-y']) expect(new KeySpace('app', good).base).toBe(`app:${good}:`);
  });
});

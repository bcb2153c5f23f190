// The reply parsers shared by the module's scripts and admin reads. The drivers differ:
// node-redis replies to HGETALL with an object, ioredis with a flat list.
import { describe, expect, it } from 'vitest';
import { listReply, toFieldMap } from '../../src/session/scripts.js';

describe('session reply parsers', () => {
  it('a hash reads the same as a flat field, value list or as an object', () => {
    const expected = new Map([
      ['u', 'ann'],
      ['c', '17'],
    ]);
    expect(toFieldMap(['u', 'ann', 'c', 17])).toEqual(expected);
    expect(toFieldMap({ u: 'ann', c: 17 })).toEqual(expected);
    expect(toFieldMap([])).toEqual(new Map());
  });

  it('a reply that should be a list and is not is a TypeError naming what came', () => {
    expect(() => listReply(5)).toThrow(new TypeError('expected an array reply, got number'));
    expect(listReply(['a', 1])).toEqual(['a', 1]);
  });
});

import { describe, expect, it } from 'vitest';
import { ABSENT, Lru } from '../../src/cache/lru.js';

const NEVER = Number.POSITIVE_INFINITY;

describe('Lru (the in-process tier)', () => {
  it('holds at most maxEntries and evicts the entries not read for longest', () => {
    const lru = new Lru(8);
    for (let i = 0; i < 8; i++) lru.set(`k${i}`, i, NEVER, undefined);
    // k0 and k1 are the oldest; reading them moves them to the young end.
    expect(lru.get('k0', 0)).toBe(0);
    expect(lru.get('k1', 0)).toBe(1);
    lru.set('k8', 8, NEVER, undefined);
    lru.set('k9', 9, NEVER, undefined);
    expect(lru.size).toBe(8);
    expect(lru.get('k2', 0)).toBe(ABSENT);
    expect(lru.get('k3', 0)).toBe(ABSENT);
    for (const k of ['k0', 'k1', 'k4', 'k9']) expect(lru.get(k, 0)).not.toBe(ABSENT);
  });

  it('a hot key read on every request survives any number of one-off inserts', () => {
    const lru = new Lru(100);
    lru.set('hot', 'v', NEVER, undefined);
    for (let i = 0; i < 10_000; i++) {
      expect(lru.get('hot', 0)).toBe('v');
      lru.set(`cold${i}`, i, NEVER, undefined);
    }
    expect(lru.size).toBe(100);
    expect(lru.get('cold0', 0)).toBe(ABSENT);
  });

  it('expired entries read as absent and are dropped; a cached undefined is a value', () => {
    const lru = new Lru(4);
    lru.set('a', 1, 100, undefined);
    lru.set('u', undefined, NEVER, undefined);
    expect(lru.get('a', 99)).toBe(1);
    expect(lru.get('a', 100)).toBe(ABSENT);
    expect(lru.size).toBe(1);
    expect(lru.get('u', 0)).toBeUndefined();
  });

  it('drops by tag and by key', () => {
    const lru = new Lru(4);
    lru.set('a', 1, NEVER, ['t1']);
    lru.set('b', 2, NEVER, ['t1', 't2']);
    lru.set('c', 3, NEVER, undefined);
    lru.deleteTag('t1');
    expect(lru.get('a', 0)).toBe(ABSENT);
    expect(lru.get('b', 0)).toBe(ABSENT);
    lru.delete('c');
    expect(lru.size).toBe(0);
  });
});

describe('Lru read promotion (youngest quarter)', () => {
  // With 8 entries the young span is 2: a read moves an entry only once 2 or more inserts
  // came after it. Which of two neighbours is evicted first shows whether a read moved it.
  const full = (): Lru => {
    const lru = new Lru(8);
    for (let i = 0; i < 8; i++) lru.set(`k${i}`, i, NEVER, undefined);
    return lru;
  };
  const insert = (lru: Lru, n: number): void => {
    for (let i = 0; i < n; i++) lru.set(`new${i}`, i, NEVER, undefined);
  };

  it('a read of an entry still in the youngest quarter does not move it', () => {
    const lru = full();
    expect(lru.get('k6', 0)).toBe(6); // one insert after it: stays before k7
    insert(lru, 7); // evicts k0..k5, then k6
    expect(lru.get('k6', 0)).toBe(ABSENT);
    expect(lru.get('k7', 0)).toBe(7);
  });

  it('a read of an entry exactly the young span old moves it to the young end', () => {
    const lru = full();
    expect(lru.get('k5', 0)).toBe(5); // two inserts after it: moves behind k7
    insert(lru, 6); // evicts k0..k4, then k6
    expect(lru.get('k6', 0)).toBe(ABSENT);
    expect(lru.get('k5', 0)).toBe(5);
  });

  it('a moved entry counts as the newest placement for later reads', () => {
    const lru = full();
    expect(lru.get('k0', 0)).toBe(0); // moves; k6 is now 2 placements old
    expect(lru.get('k6', 0)).toBe(6); // so this read moves it behind k0
    insert(lru, 6); // evicts k1..k5, then k7
    expect(lru.get('k7', 0)).toBe(ABSENT);
    expect(lru.get('k6', 0)).toBe(6);
  });

  it('dropping a tag keeps the entries without it', () => {
    const lru = new Lru(4);
    lru.set('a', 1, NEVER, ['t1']);
    lru.set('b', 2, NEVER, ['t2']);
    lru.set('c', 3, NEVER, undefined);
    lru.deleteTag('t1');
    expect(lru.get('a', 0)).toBe(ABSENT);
    expect(lru.get('b', 0)).toBe(2);
    expect(lru.get('c', 0)).toBe(3);
  });
});

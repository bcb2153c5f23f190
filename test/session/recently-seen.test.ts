// RecentlySeen on a clock the test moves (performance.now stubbed): the rotation edges are
// exact milliseconds, which no wall-clock test can hit on a loaded machine.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RecentlySeen } from '../../src/session/recently-seen.js';

let clock = 0;
function at(ms: number): void {
  clock = ms;
}

describe('RecentlySeen', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function seen(periodMs: number): RecentlySeen {
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    // Far past the first period, so the first call starts a generation.
    at(10_000);
    return new RecentlySeen(periodMs);
  }

  it('a key is seen for less than the period: not at exactly that age', () => {
    const recent = seen(100);
    recent.add('a');
    at(10_099);
    expect(recent.has('a')).toBe(true);
    at(10_100);
    expect(recent.has('a')).toBe(false);
  });

  it('a key added late in a generation is still seen after the next rotation', () => {
    const recent = seen(100);
    recent.add('first'); // starts the generation at 10 000
    at(10_050);
    recent.add('a');
    at(10_120); // rotates: 'a' (70 ms old) moves to the previous generation
    expect(recent.has('a')).toBe(true);
  });

  it('within the first period of the process, repeated calls keep what was added', () => {
    // performance.now() counts from process start: a store made early starts inside a period.
    const recent = seen(100);
    at(0);
    recent.add('a');
    recent.add('b');
    expect(recent.has('a')).toBe(true);
    expect(recent.has('b')).toBe(true);
    expect(recent.has('a')).toBe(true);
  });

  it('delete forgets a key in either generation', () => {
    const recent = seen(100);
    recent.add('old');
    at(10_050);
    recent.add('kept');
    at(10_120); // 'old' and 'kept' are now in the previous generation
    recent.add('new');
    recent.delete('old');
    recent.delete('new');
    expect(recent.has('old')).toBe(false);
    expect(recent.has('new')).toBe(false);
    expect(recent.has('kept')).toBe(true);
  });
});

// A waiter's Listener (src/lock/wakeups.ts) between two checks of Redis: a grant message or a
// re-check that arrives while the waiter is busy must be there at its next wait, a wait that
// ended must not take later messages, and an abort ends the wait. Nothing here talks to Redis,
// and fake timers stand in for the poll interval, so no outcome depends on the machine's speed.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Listener } from '../../src/lock/wakeups.js';

const LONG = 60_000;

function listener(): Listener {
  return new Listener(
    Promise.resolve(true),
    () => true,
    () => {},
  );
}

/** The promise's state once every microtask has run, without moving the fake clock. */
async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown } | 'pending'> {
  let state: { value?: T; error?: unknown } | 'pending' = 'pending';
  promise.then(
    (value) => {
      state = { value };
    },
    (error: unknown) => {
      state = { error };
    },
  );
  await vi.advanceTimersByTimeAsync(0);
  return state;
}

describe('Listener', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a message that came while the waiter was not waiting is returned by its next wait at once', async () => {
    const l = listener();
    l.push('owner-1');
    expect(await settled(l.next(LONG))).toEqual({ value: 'owner-1' });
  });

  it('a re-check asked for while the waiter was not waiting ends its next wait at once, and only that one', async () => {
    const l = listener();
    l.recheck();
    expect(await settled(l.next(LONG))).toEqual({ value: undefined });
    expect(await settled(l.next(LONG))).toBe('pending');
  });

  it('a message wakes a waiting waiter, and the following wait waits again', async () => {
    const l = listener();
    const waiting = l.next(LONG);
    l.push('owner-2');
    expect(await settled(waiting)).toEqual({ value: 'owner-2' });
    expect(await settled(l.next(LONG))).toBe('pending');
  });

  it('a wait that timed out does not take the message that comes after it', async () => {
    const l = listener();
    const waiting = l.next(100);
    await vi.advanceTimersByTimeAsync(100);
    expect(await settled(waiting)).toEqual({ value: undefined });
    l.push('owner-3');
    expect(await settled(l.next(LONG))).toEqual({ value: 'owner-3' });
  });

  it('aborting the signal of a wait that already ended does not stop a later wait from being woken', async () => {
    const l = listener();
    const first = new AbortController();
    const done = l.next(LONG, first.signal);
    l.push('owner-4');
    expect(await settled(done)).toEqual({ value: 'owner-4' });
    const waiting = l.next(LONG, new AbortController().signal);
    first.abort(new Error('caller left'));
    l.push('owner-5');
    expect(await settled(waiting)).toEqual({ value: 'owner-5' });
  });

  it('rejects with the reason when the signal aborts, whether before or during the wait', async () => {
    const l = listener();
    const reason = new Error('shutdown');
    expect(await settled(l.next(LONG, AbortSignal.abort(reason)))).toEqual({ error: reason });
    const controller = new AbortController();
    const waiting = l.next(LONG, controller.signal);
    controller.abort(reason);
    expect(await settled(waiting)).toEqual({ error: reason });
  });
});

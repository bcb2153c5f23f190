import { expect } from 'vitest';

/** The error `call` throws, checked to be an `ErrorClass`; fails the test when `call` returns. */
export function thrownBy<E extends Error>(call: () => unknown, ErrorClass: abstract new (...args: never[]) => E): E {
  try {
    call();
  } catch (err) {
    expect(err).toBeInstanceOf(ErrorClass);
    return err as E;
  }
  throw new Error(`expected a ${ErrorClass.name}, but nothing was thrown`);
}

import { Deadlines } from './deadlines.js';
import { CommandTimeoutError } from './errors.js';
import { toTypedError } from './reply-errors.js';

/** The reply deadlines of every connection's in-flight commands, behind one timer. */
export const deadlines = new Deadlines();

/**
 * `promise`, with rejections passed through `onError`, or a {@link CommandTimeoutError}
 * if it has not settled within `ms` (`0`: no limit). Plain promise callbacks rather than
 * async/await: this is a hot path.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string, onError: (err: unknown) => T | Promise<T>): Promise<T> {
  if (ms === 0) return promise.then(undefined, onError);
  return new Promise<T>((resolve, reject) => {
    const entry = deadlines.add(ms, () => reject(new CommandTimeoutError(ms, what)));
    promise.then(
      (value) => {
        deadlines.settle(entry);
        resolve(value);
      },
      (err) => {
        if (entry.settled) return;
        deadlines.settle(entry);
        try {
          resolve(onError(err));
        } catch (typed) {
          reject(typed);
        }
      },
    );
  });
}

/** Rethrows whatever a client rejected with as a redis-patterns error. */
export function rethrowTyped(err: unknown): never {
  throw toTypedError(err);
}

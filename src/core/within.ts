import { Deadlines } from './deadlines.js';
import { CommandTimeoutError } from './errors.js';
import { toTypedError } from './reply-errors.js';

/** The reply deadlines of every connection's in-flight commands, behind one timer. */
export const deadlines = new Deadlines();

/**
 * `promise`, rejecting with a typed error, or with a {@link CommandTimeoutError} if it has
 * not settled within `ms` (`0`: no limit). Plain promise callbacks rather than async/await:
 * every command goes through here.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms === 0) return promise.then(undefined, rethrowTyped);
  return new Promise<T>((resolve, reject) => {
    const entry = deadlines.add(ms, () => reject(new CommandTimeoutError(ms, what)));
    promise.then(
      (value) => {
        deadlines.settle(entry);
        resolve(value);
      },
      (err) => {
        deadlines.settle(entry);
        reject(toTypedError(err));
      },
    );
  });
}

function rethrowTyped(err: unknown): never {
  throw toTypedError(err);
}

import { deadlines } from './deadlines.js';
import { CommandTimeoutError } from './errors.js';
import { toTypedError } from './reply-errors.js';

// Every time limit of the library goes through `deadlines`, one timer for all of them: a
// `setTimeout` per call costs more than a short Redis command itself on a busy connection.

/**
 * A Redis reply: `promise`, rejecting with a typed error, or with a {@link CommandTimeoutError}
 * if it has not settled within `ms` (`0`: no limit). Plain promise callbacks rather than
 * async/await: every command goes through here.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms === 0) return promise.then(undefined, rethrowTyped);
  return limited(promise, ms, () => new CommandTimeoutError(ms, what), toTypedError);
}

/**
 * Settles like `promise`, or rejects with `onTimeout()` once `ms` have passed (`0`: no limit).
 * The abandoned promise keeps running; its late outcome is ignored, never reported as unhandled.
 */
export function timeLimit<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (ms === 0) return promise;
  return limited(promise, ms, onTimeout, asIs);
}

function asIs(err: unknown): unknown {
  return err;
}

/** `promise` under one entry of the shared deadline timer; its rejection goes through `mapError`. */
function limited<T>(promise: Promise<T>, ms: number, onTimeout: () => Error, mapError: (err: unknown) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const entry = deadlines.add(ms, () => reject(onTimeout()));
    promise.then(
      (value) => {
        deadlines.settle(entry);
        resolve(value);
      },
      (err) => {
        deadlines.settle(entry);
        reject(mapError(err));
      },
    );
  });
}

/**
 * Runs a user's function with a time limit of `ms` (`0`: none): rejects with `onTimeout()`
 * when it has not settled in time. A function that declares a parameter receives an
 * `AbortSignal`, aborted with that same error at the limit; one without parameters gets none,
 * because creating a signal costs more than the rest of a short call.
 */
export function callWithin<T>(fn: (signal: AbortSignal) => T | Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  const controller = fn.length > 0 ? new AbortController() : undefined;
  let call: Promise<T>;
  try {
    call = Promise.resolve(controller ? fn(controller.signal) : (fn as () => T | Promise<T>)());
  } catch (error) {
    call = Promise.reject(error);
  }
  if (ms === 0) return call;
  return timeLimit(call, ms, () => {
    const error = onTimeout();
    controller?.abort(error);
    return error;
  });
}

/** Whether `promise` settled successfully within `ms`: for closing connections that may never answer. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  // Stryker disable next-line StringLiteral: equivalent, the error is never seen: a timeout resolves false
  return timeLimit(promise, ms, () => new Error('timed out')).then(
    () => true,
    () => false,
  );
}

function rethrowTyped(err: unknown): never {
  throw toTypedError(err);
}

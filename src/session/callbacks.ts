/** A Node-style callback, as the express-session and @fastify/session store contracts call them. */
export type Callback<T> = (err: unknown, value?: T) => void;

/**
 * `promise`, also reported to `cb` when one is given: the framework stores take callbacks and
 * return promises. With a callback the returned promise never rejects (the callback has the
 * error), so a caller that passes one is never told twice, nor about an unhandled rejection.
 */
export function settle<T>(promise: Promise<T>, cb: Callback<T> | undefined): Promise<T> {
  if (!cb) return promise;
  return promise.then(
    (value) => {
      cb(null, value);
      return value;
    },
    (err) => {
      cb(err);
      return undefined as T;
    },
  );
}

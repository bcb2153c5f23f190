/**
 * Settles like `promise`, or rejects with `onTimeout()` after `ms` ms if `promise` has
 * not settled by then. A late rejection of the abandoned promise is swallowed rather
 * than reported as unhandled.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

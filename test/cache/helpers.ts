// Shared by the cache tests: a loader that counts its calls.

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loader returning `value(n)` on its n-th call (after `delayMs`), with the number of calls in `calls`. */
export function counter<T>(value: (n: number) => T, delayMs = 0) {
  const loader = async () => {
    loader.calls++;
    if (delayMs) await sleep(delayMs);
    return value(loader.calls);
  };
  loader.calls = 0;
  return loader;
}

/** Whether `promise` settles within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

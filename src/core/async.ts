/**
 * Resolves after `ms` milliseconds; rejects with the signal's reason as soon as
 * `signal` aborts. The timer never keeps the process alive on its own.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      // Stryker disable next-line OptionalChaining: equivalent, onAbort is only ever added to a signal
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    // Stryker disable next-line OptionalChaining: equivalent on Node, whose timers always have unref (the ?. is for runtimes whose setTimeout returns a number)
    timer.unref?.();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. Default: no bound. */
  maxMs?: number;
  /** Multiplier per attempt. Default `2`. */
  factor?: number;
  /**
   * Share of the delay that is randomized: `0` none, `1` "full jitter" (uniform in
   * `[0, delay]`). Default `0.5`, so contenders that failed together retry apart.
   */
  jitter?: number;
}

/** Delay before retry number `attempt` (1-based): exponential, capped, jittered. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const { baseMs, maxMs = Number.POSITIVE_INFINITY, factor = 2, jitter = 0.5 } = options;
  const raw = Math.min(maxMs, baseMs * factor ** Math.max(0, attempt - 1));
  return Math.round(raw * (1 - jitter) + Math.random() * raw * jitter);
}

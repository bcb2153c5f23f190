/**
 * Local FIFO turns per identity: `waitFor` callers of one identity in this process take the
 * identity's next slot in the order they asked, instead of all waking when it opens and racing
 * for it (the one that lost would wait a whole period more). A caller that gives up (abort,
 * wait limit) passes its turn on without breaking the order of those behind it.
 */
export class WaitTurns {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Waits until every earlier caller of `identity` is done, or `ms` passed (`false` then), or
   * `signal` aborted (rejects with its reason). Call the returned `done` exactly once, in all
   * cases, when finished with the turn.
   */
  async take(identity: string, ms: number, signal: AbortSignal | undefined): Promise<{ ready: boolean; done: () => void }> {
    const before = this.tails.get(identity);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    // Whoever comes next waits for everyone before us and for us.
    const tail = before ? before.then(() => mine) : mine;
    this.tails.set(identity, tail);
    const finish = () => {
      done();
      if (this.tails.get(identity) === tail) this.tails.delete(identity);
    };
    if (!before) return { ready: true, done: finish };
    try {
      const ready = await waitFor(before, ms, signal);
      return { ready, done: finish };
    } catch (err) {
      finish();
      throw err;
    }
  }
}

// Resolves true when `promise` settles within `ms`, false after `ms`; rejects when `signal` aborts.
function waitFor(promise: Promise<void>, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  // Stryker disable next-line ConditionalExpression: equivalent, RateLimiter.waitFor throws for an aborted signal and reaches this synchronously, so the signal is never aborted here
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    // Stryker disable next-line OptionalChaining: equivalent, onAbort is only ever added as a listener of signal, so signal is defined when it runs
    const onAbort = () => settle(() => reject(signal?.reason));
    // Stryker disable next-line BooleanLiteral: equivalent, the timer fires at the deadline, so a ready turn also makes one check and returns its answer (a wait would end past the deadline)
    const timer = setTimeout(() => settle(() => resolve(false)), ms);
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, settle() removes the listener on every path and a signal fires 'abort' at most once
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(() => settle(() => resolve(true)));
  });
}

import { timeLimit } from '../core/time-limit.js';
import { assertPositiveInteger } from '../core/validation.js';
import { CacheLoadTimeoutError } from './errors.js';

/**
 * What a loader receives: a signal that aborts when the cache stops waiting for it, and two
 * ways to decide how its value is cached. The methods are bound, so the context may be
 * destructured (`({ signal, setTtl }) => ...`).
 */
export interface LoaderContext {
  /**
   * Aborts when the cache stops waiting for this load: when the cache's `loadTimeoutMs` runs
   * out (reason: a `CacheLoadTimeoutError`), and for a background refresh also when the cache
   * is closed (reason: an `AbortError`). Pass it on (`fetch(url, { signal })`, a query's
   * cancel) so abandoned work stops. A load a caller awaits is never aborted without
   * `loadTimeoutMs`.
   */
  readonly signal: AbortSignal;
  /**
   * Caches this load's value for `ms` (an integer > 0) instead of the call's `ttlMs` (or, for
   * `null` / `undefined`, its `negativeTtlMs`): a short TTL for "no slots today", a long one
   * for a value that rarely changes. The grace period (`staleWhileRevalidateMs`) still follows.
   * A bad `ms` throws a `ValidationError` inside the loader, which rejects the `wrap`.
   */
  setTtl(ms: number): void;
  /**
   * Does not cache this load's value: the `wrap` returns it, nothing is stored (an entry
   * already in Redis, such as the stale one being refreshed, stays until it expires), and the
   * next `wrap` loads again.
   */
  skip(): void;
}

/** Produces the value on a miss. May return `null`/`undefined` ("not found": cached as a negative entry). */
export type Loader<T> = (context: LoaderContext) => T | Promise<T>;

/**
 * One load's {@link LoaderContext}, and what the loader decided. The `AbortController` and the
 * bound methods are made only when the loader reads them: most loaders never do, and a miss
 * should not pay for them.
 */
export class LoadContext implements LoaderContext {
  /** The TTL the loader chose, or `undefined`. */
  ttlMs: number | undefined;
  /** Whether the loader declined caching. */
  skipped = false;
  private controller: AbortController | undefined;
  private abortedWith: { reason: unknown } | undefined;
  private bound: Pick<LoaderContext, 'setTtl' | 'skip'> | undefined;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  get setTtl(): (ms: number) => void {
    this.bound ??= this.bind();
    return this.bound.setTtl;
  }

  get skip(): () => void {
    this.bound ??= this.bind();
    return this.bound.skip;
  }

  private bind(): Pick<LoaderContext, 'setTtl' | 'skip'> {
    return {
      setTtl: (ms) => {
        assertPositiveInteger('ttlMs', ms);
        this.ttlMs = ms;
      },
      skip: () => {
        this.skipped = true;
      },
    };
  }

  /** Aborts the signal (now, or when it is first read); the first reason wins. */
  abort(reason?: unknown): void {
    if (this.abortedWith) return;
    this.abortedWith = { reason: reason ?? new DOMException('The cache stopped waiting for this load', 'AbortError') };
    this.controller?.abort(this.abortedWith.reason);
  }
}

/**
 * Calls `loader` with `context`; with `timeoutMs > 0`, rejects with a
 * {@link CacheLoadTimeoutError} at the limit and aborts the context's signal with it. The
 * limit runs on core's one deadline timer, not a timer per load.
 */
export function callLoader<T>(loader: Loader<T>, context: LoadContext, timeoutMs: number): Promise<T> {
  let call: Promise<T>;
  try {
    call = Promise.resolve(loader(context));
  } catch (error) {
    call = Promise.reject(error);
  }
  // Stryker disable next-line ConditionalExpression: equivalent, timeLimit also returns the promise itself for 0 ms
  if (timeoutMs === 0) return call;
  return timeLimit(call, timeoutMs, () => {
    const error = new CacheLoadTimeoutError(timeoutMs);
    context.abort(error);
    return error;
  });
}

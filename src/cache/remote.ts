import type { RedisArg, RedisReply } from '../core/client/types.js';
import type { RedisConnection } from '../core/connection.js';
import { CommandTimeoutError, RedisPatternsError, RedisUnavailableError } from '../core/errors.js';
import { toTypedError } from '../core/reply-errors.js';
import type { LuaScript } from '../core/script.js';
import type { CacheOperation } from './events.js';

/**
 * How long one caller's call may still wait for Redis, all its commands together. Time spent
 * off Redis (the loader, waiting for another instance's load) is given back with
 * {@link Deadline.extend}, so it never eats into the budget.
 */
export class Deadline {
  private until: number;
  /** A failure under this deadline was reported already: one call reports once. */
  reported = false;

  /**
   * @param ms - the budget
   * @param background - work nobody awaits (a refresh, a late store): `close()` waits for it
   */
  constructor(
    ms: number,
    readonly background: boolean,
  ) {
    this.until = performance.now() + ms;
  }

  /** Milliseconds left (may be negative). */
  remaining(): number {
    return this.until - performance.now();
  }

  /** Gives back `ms` spent off Redis. */
  extend(ms: number): void {
    this.until += ms;
  }
}

/** Receives every Redis failure the tier saw, once per {@link Deadline}. */
export type FailureReport = (error: RedisPatternsError, operation: CacheOperation, key: string | undefined) => void;

/**
 * The cache's one way to Redis. Every command goes through `connection.run`, `send` or
 * `pipeline` with the time left of its caller's {@link Deadline}, so core's one deadline timer
 * bounds it and a call waits at most `timeoutMs` for Redis in total. The tier owns fail-open:
 * after Redis was unreachable or timed out, {@link RemoteTier.online} is false for
 * `offlineBackoffMs`, and read and write paths skip Redis meanwhile (invalidations still try).
 * Failures are reported, then rejected for the caller to absorb or pass on.
 */
export class RemoteTier {
  private offlineUntil = 0;
  private closed = false;
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly connection: RedisConnection,
    /** The budget of one call, in ms. */
    readonly timeoutMs: number,
    private readonly offlineBackoffMs: number,
    private readonly report: FailureReport,
  ) {}

  /** A fresh budget for one caller's call (or, `background`, for work nobody awaits). */
  deadline(background = false): Deadline {
    return new Deadline(this.timeoutMs, background);
  }

  /** False during the back-off after an outage. */
  online(): boolean {
    // Stryker disable next-line ConditionalExpression: equivalent, Date.now() >= 0 on any real clock
    return this.offlineUntil === 0 || Date.now() >= this.offlineUntil;
  }

  /** Whether fail-open work under `deadline` should go to Redis: online, time left, and (background) not closed. */
  usable(deadline: Deadline): boolean {
    return this.online() && deadline.remaining() >= 1 && !(deadline.background && this.closed);
  }

  /** One command. */
  send(
    args: readonly RedisArg[],
    routeKey: string | undefined,
    deadline: Deadline,
    operation: CacheOperation,
    key?: string,
  ): Promise<RedisReply> {
    return this.call(deadline, operation, key, (timeoutMs) => this.connection.send(args, routeKey, { timeoutMs }));
  }

  /** One script call. */
  run<A extends readonly RedisArg[], R>(
    script: LuaScript<A, R>,
    keys: readonly string[],
    args: A,
    deadline: Deadline,
    operation: CacheOperation,
    key?: string,
  ): Promise<R> {
    return this.call(deadline, operation, key, (timeoutMs) => this.connection.run(script, keys, args, { timeoutMs }));
  }

  /** Several commands of one slot in one round trip. */
  pipeline(
    commands: readonly (readonly RedisArg[])[],
    routeKey: string,
    deadline: Deadline,
    operation: CacheOperation,
    key?: string,
  ): Promise<RedisReply[]> {
    return this.call(deadline, operation, key, (timeoutMs) => this.connection.pipeline(commands, { routeKey, timeoutMs }));
  }

  /** Whether invalidations are published sharded (decided once per connection; see `RedisConnection.shardedPubSub`). */
  shardedPubSub(deadline: Deadline, operation: CacheOperation): Promise<boolean> {
    return this.call(deadline, operation, undefined, (timeoutMs) => this.connection.shardedPubSub({ timeoutMs }));
  }

  /** Refuses background work from now on; see {@link RemoteTier.drain}. */
  close(): void {
    this.closed = true;
  }

  /** Resolves once no background command is in flight (each is bounded by `timeoutMs`). */
  async drain(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  /** Issues one Redis call with the time `deadline` has left, reporting its failure. */
  private call<T>(
    deadline: Deadline,
    operation: CacheOperation,
    key: string | undefined,
    issue: (timeoutMs: number) => Promise<T>,
  ): Promise<T> {
    const ms = this.budget<T>(deadline, operation, key);
    if (typeof ms !== 'number') return ms;
    return this.settle(issue(ms), deadline, operation, key);
  }

  /** The time the command may wait, or the rejection when there is none left. */
  private budget<T>(deadline: Deadline, operation: CacheOperation, key: string | undefined): number | Promise<T> {
    // Stryker disable next-line StringLiteral: equivalent, only background work is refused after close() and each of its callers swallows the rejection
    if (deadline.background && this.closed) return Promise.reject(new RedisUnavailableError('the cache is closed'));
    const left = deadline.remaining();
    if (left >= 1) return Math.ceil(left);
    // Nothing sent: no back-off, but a caller that must not skip (an invalidation) hears why.
    const error = new CommandTimeoutError(this.timeoutMs, `the cache's ${operation} (the call's time for Redis is used up)`);
    this.failed(error, deadline, operation, key);
    return Promise.reject(error);
  }

  private settle<T>(promise: Promise<T>, deadline: Deadline, operation: CacheOperation, key: string | undefined): Promise<T> {
    const settled = promise.then(undefined, (err: unknown) => {
      const error = typed(err);
      // Stryker disable next-line EqualityOperator: equivalent, a back-off of 0 ms ends at once (online() compares with >=)
      if (this.offlineBackoffMs > 0 && (error instanceof RedisUnavailableError || error instanceof CommandTimeoutError)) {
        this.offlineUntil = Date.now() + this.offlineBackoffMs;
      }
      this.failed(error, deadline, operation, key);
      throw error;
    });
    if (deadline.background) {
      const tracked: Promise<unknown> = settled.then(
        () => this.background.delete(tracked),
        () => this.background.delete(tracked),
      );
      this.background.add(tracked);
    }
    return settled;
  }

  private failed(error: RedisPatternsError, deadline: Deadline, operation: CacheOperation, key: string | undefined): void {
    if (deadline.reported) return;
    deadline.reported = true;
    this.report(error, operation, key);
  }
}

/** `err` as a redis-patterns error (core already types what it rejects with; this covers the rest). */
export function typed(err: unknown): RedisPatternsError {
  const error = toTypedError(err);
  return error instanceof RedisPatternsError ? error : new RedisUnavailableError(error.message, { cause: error });
}

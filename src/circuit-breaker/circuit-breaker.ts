import { EventEmitter } from 'node:events';
import { toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import { addGaugeSource, type GaugeSource, type OperationContext, type TelemetryAttributes } from '../core/telemetry.js';
import { callWithin } from '../core/time-limit.js';
import { assertPositiveInteger } from '../core/validation.js';
import { CallTimeoutError, CircuitOpenError } from './errors.js';
import type { CircuitBreakerEvents } from './events.js';
import { LocalState } from './local-state.js';
import { type CircuitBreakerOptions, type CircuitState, type ResolvedOptions, resolveOptions } from './options.js';
import { SharedState } from './shared-state.js';
import { instrument, STATE_GAUGE } from './telemetry.js';
import type { CircuitStatus, StateReply, Verdict } from './types.js';

/** Options of one {@link CircuitBreaker.execute} call. */
export interface ExecuteOptions<T> {
  /**
   * Called instead of failing: with the {@link CircuitOpenError} when the call was
   * rejected, with the call's error (or {@link CallTimeoutError}) when it failed. Its
   * result becomes the result of `execute`. Default: none (the error is thrown).
   */
  fallback?: (error: unknown) => T | Promise<T>;
}

/** How one call was admitted, and by which state (shared or this instance's own). */
interface Admission extends Verdict {
  probeId: string;
  local: boolean;
}

/**
 * Longest delay, in ms, before a success no check carried is sent on its own (without
 * `cacheMs`; with it, `cacheMs`): how late other instances may count this one's successes.
 */
export const SUCCESS_REPORT_MS = 100;

// Stryker disable next-line StringLiteral,ObjectLiteral: equivalent, a cached admission is read only for verdict 'reject' or 'probe' and for local, so an allow verdict, its state and an empty probe id are what an empty object gives
const ALLOWED_BY_CACHE: Admission = { verdict: 'allow', state: 'closed', waitMs: 0, probeId: '', local: false };

/**
 * A circuit breaker whose state lives in Redis, shared by every instance that uses
 * the same `name`: when the dependency fails, all of them stop calling it at once,
 * and once `openMs` has passed at most `halfOpenMaxProbes` trial calls run across
 * all of them. Transitions happen atomically in Lua on Redis time.
 *
 * Round trips: a successful call costs one, the check before it, which also carries the
 * successes of earlier calls (concurrent calls share one check); a failed call costs a
 * second one, its record, so the circuit opens before `execute` rejects. Successes no check
 * carried are sent within {@link SUCCESS_REPORT_MS} (or `cacheMs`). With `cacheMs`, a
 * closed circuit costs no round trip on the hot path.
 * If Redis is unavailable the breaker carries on with its own local state (event
 * `redisUnavailable`), never delaying a call by more than `redisTimeoutMs`, and goes
 * back to the shared state when Redis answers again (event `redisRestored`).
 *
 * `forceOpen`, `forceClose` and `reset` change the shared circuit, for every instance;
 * `close` only releases what this instance holds (it sends its buffered successes first).
 *
 * @example
 * const breaker = new CircuitBreaker({ connection, name: 'eprescribe', failureRate: 0.5, minimumRequests: 20 });
 * const rx = await breaker.execute((signal) => fetch(url, { signal }).then((r) => r.json()));
 */
export class CircuitBreaker extends EventEmitter<CircuitBreakerEvents> {
  /** The breaker's name (the shared circuit it belongs to). */
  readonly name: string;
  private readonly telemetry: TelemetryAttributes;
  // Read by telemetry subscribers for the state gauge; lives as long as this breaker.
  private readonly gauge: GaugeSource;
  private readonly options: ResolvedOptions;
  private readonly shared: SharedState;
  private readonly local: LocalState;
  private readonly instanceId = randomId(6);
  private sequence = 0;
  private known: CircuitState = 'closed';
  /** Local clock time when the open period ends, as last seen. */
  private openUntil = 0;
  /** With `cacheMs`: the known state may be used without asking Redis until then. */
  private cacheUntil = 0;
  /** With `cacheMs`: the check in flight that callers arriving meanwhile share. */
  private refreshing: Promise<Verdict> | undefined;
  private pendingSuccesses = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private degraded = false;
  private nextRedisAttempt = 0;
  /** The background read of the shared state in flight while degraded, if any. */
  private reconnecting: Promise<void> | undefined;
  /** After {@link close}: successes are no longer buffered, so nothing waits on a timer. */
  private closed = false;

  /** @throws ValidationError for any bad option (nothing is sent to Redis). */
  constructor(options: CircuitBreakerOptions) {
    super();
    this.options = resolveOptions(options);
    this.name = this.options.name;
    this.telemetry = { breaker: this.name };
    this.gauge = {
      module: 'circuit-breaker',
      attributes: this.telemetry,
      read: () => ({ 'circuit_breaker.state': STATE_GAUGE[this.known] }),
    };
    addGaugeSource(this.gauge);
    this.shared = new SharedState(toConnection(options.connection), this.options);
    this.local = new LocalState(this.options);
  }

  /** The state this instance last saw (no round trip). */
  get state(): CircuitState {
    return this.known;
  }

  /** `shared` while Redis answers, `local` while this instance runs on its own state. */
  get mode(): 'shared' | 'local' {
    return this.degraded ? 'local' : 'shared';
  }

  /**
   * Runs `fn` if the circuit admits it, with the call timeout (on core's one deadline timer),
   * and records the outcome. If `fn` declares a parameter, it receives an `AbortSignal` that
   * aborts when the call times out (a function without parameters gets none: creating one is
   * the costliest part of a cached call).
   *
   * @throws CircuitOpenError when rejected (unless `fallback` is given)
   * @throws CallTimeoutError when `fn` took longer than `timeoutMs` (unless `fallback` is given)
   * @throws whatever `fn` threw (unless `fallback` is given)
   */
  execute<T>(fn: (signal: AbortSignal) => T | Promise<T>, options: ExecuteOptions<T> = {}): Promise<T> {
    // Not `async`: returning run's promise from an async function would cost extra ticks per call.
    if (typeof fn !== 'function') return Promise.reject(new ValidationError('fn', 'must be a function'));
    if (options.fallback !== undefined && typeof options.fallback !== 'function') {
      return Promise.reject(new ValidationError('fallback', 'must be a function'));
    }
    // Stryker disable next-line ConditionalExpression: equivalent, trace() itself runs the call without a context when nobody subscribes
    if (!instrument.enabled) return this.run(fn, options, undefined);
    return instrument.trace('execute', this.telemetry, undefined, (context) => this.run(fn, options, context));
  }

  private async run<T>(
    fn: (signal: AbortSignal) => T | Promise<T>,
    options: ExecuteOptions<T>,
    context: OperationContext | undefined,
  ): Promise<T> {
    // A state still cached answers without a promise: the cached path is a few property reads.
    const admission = this.admitFromCache(Date.now()) ?? (await this.admit());
    if (admission.verdict === 'reject') {
      // Only an open or half-open circuit rejects.
      const state = admission.state as 'open' | 'half-open';
      this.emit('reject', { state, retryAfterMs: admission.waitMs });
      if (context) context.outcome = options.fallback ? 'fallback' : 'rejected';
      return this.failWith(new CircuitOpenError(this.name, state, admission.waitMs), options.fallback);
    }
    const started = performance.now();
    let value: T;
    try {
      value = await callWithin(fn, this.options.timeoutMs, this.onTimeout);
    } catch (error) {
      const durationMs = performance.now() - started;
      const timedOut = error instanceof CallTimeoutError;
      if (timedOut) this.emit('timeout', { timeoutMs: this.options.timeoutMs });
      if (timedOut || this.countsAsFailure(error)) {
        this.emit('failure', { error, durationMs });
        await this.settle(admission, false);
        if (context) context.outcome = options.fallback ? 'fallback' : 'failure';
      } else {
        this.emit('success', { durationMs });
        await this.settle(admission, true);
        if (context) context.outcome = 'success';
      }
      return this.failWith(error, options.fallback);
    }
    this.emit('success', { durationMs: performance.now() - started });
    const recording = this.settle(admission, true);
    if (recording) await recording;
    if (context) context.outcome = 'success';
    return value;
  }

  /**
   * Opens the shared circuit **for every instance** for `durationMs` (a positive integer,
   * default `openMs`), then it turns half-open as usual; forgets the failure window and
   * probes. One `EVALSHA`. This instance changes at once; rejects with the Redis error if
   * the shared state could not be changed (the other instances did not get it).
   */
  async forceOpen(durationMs: number = this.options.openMs): Promise<void> {
    assertPositiveInteger('durationMs', durationMs);
    this.applyLocally(this.local.open(durationMs, Date.now()));
    this.observe(await this.manual(() => this.shared.open(durationMs)), true);
  }

  /**
   * Closes the shared circuit **for every instance** and forgets its failure window and
   * probes (one `DEL` of the breaker's keys). This instance changes at once; rejects with the
   * Redis error if the shared state could not be changed (the other instances did not get it).
   * Successes this instance buffered (`cacheMs`) are kept and sent later, into the new window.
   */
  async forceClose(): Promise<void> {
    this.applyLocally({ state: 'closed', waitMs: 0 });
    await this.manual(() => this.shared.reset());
  }

  /**
   * Puts the shared circuit back to where a new one starts, **for every instance**, and
   * this instance with it: {@link forceClose} (closed, empty window, no probes), and this
   * instance also drops its buffered successes and its cached state and stops riding out a
   * Redis outage (its next call asks Redis again), as a new breaker would.
   */
  async reset(): Promise<void> {
    this.takePending();
    this.degraded = false;
    this.nextRedisAttempt = 0;
    await this.forceClose();
  }

  /**
   * A snapshot of the circuit: the shared one (one round trip, two when this instance has
   * successes not sent yet: they are sent first, so the snapshot counts them), or this
   * instance's own while Redis is unavailable.
   */
  async status(): Promise<CircuitStatus> {
    if (!this.degraded) {
      try {
        await this.flush();
        return await this.shared.status();
      } catch (error) {
        this.degrade(error);
      }
    }
    return this.local.status(Date.now());
  }

  /** Sends the successes no check has carried yet, now. */
  async flush(): Promise<void> {
    const successes = this.takePending();
    // Stryker disable next-line StringLiteral: equivalent, any id that is not a probe's records as no probe, and probe ids are instanceId:sequence
    if (successes > 0 && !this.degraded) await this.recordShared(successes, 0, '');
  }

  /**
   * Releases what this instance holds: sends its buffered successes (one `EVALSHA`, if any), stops its flush timer and waits for its background read of Redis, if one is
   * in flight. It never changes the shared circuit: the other instances, and this one's next
   * calls, see it as before (use {@link forceClose} or {@link reset} to change it). Calls made
   * after `close()` still work, recording each success at once instead of buffering it.
   * Afterwards nothing of the breaker keeps the process alive. The connection stays open: it is yours.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.flush(), this.reconnecting]);
  }

  /** The admission the cached state gives at `now`, if it is still valid (`cacheMs`). */
  private admitFromCache(now: number): Admission | undefined {
    if (now >= this.cacheUntil) return undefined;
    if (this.known === 'closed') return ALLOWED_BY_CACHE;
    // Stryker disable next-line BooleanLiteral: equivalent, a rejected call records nothing, and only its record reads local
    return { verdict: 'reject', state: 'open', waitMs: this.openUntil - now, probeId: '', local: false };
  }

  /** Asks Redis (or the local state while Redis is away); `run` calls it only when no cached state is valid. */
  private async admit(): Promise<Admission> {
    if (this.refreshing) {
      // The cache just ran out and a check is in flight: share its answer rather than
      // sending one check per concurrent caller. A probe slot is not shareable.
      const verdict = await this.refreshing.catch(() => undefined);
      if (verdict && verdict.verdict !== 'probe') return { ...verdict, probeId: '', local: false };
    }
    // Stryker disable next-line UpdateOperator: equivalent, counting down gives ids as unique as counting up
    const probeId = `${this.instanceId}:${++this.sequence}`;
    if (!this.degraded) {
      try {
        const request = this.shared.check(probeId, this.takePending());
        if (this.options.cacheMs > 0) this.shareCheck(request);
        const verdict = await request;
        this.observe(verdict, true);
        return { ...verdict, probeId, local: false };
      } catch (error) {
        this.degrade(error);
      }
    } else {
      this.retryRedis();
    }
    const verdict = this.local.check(probeId, Date.now());
    this.observe(verdict, false);
    return { ...verdict, probeId, local: true };
  }

  private shareCheck(request: Promise<Verdict>): void {
    this.refreshing = request;
    const done = () => {
      if (this.refreshing === request) this.refreshing = undefined;
    };
    request.then(done, done);
  }

  /** Records a call's outcome: a promise only when it goes to Redis now, so a buffered success costs no await. */
  private settle(admission: Admission, ok: boolean): Promise<void> | undefined {
    const probeId = admission.verdict === 'probe' ? admission.probeId : '';
    const successes = ok ? 1 : 0;
    if (admission.local || this.degraded) {
      this.observe(this.local.record(successes, 1 - successes, probeId, Date.now()), false);
      return undefined;
    }
    if (ok && probeId === '' && !this.closed) {
      // Carried by the next check, or sent on its own if none comes soon.
      this.pendingSuccesses++;
      this.flushTimer ??= setTimeout(() => void this.flush(), this.options.cacheMs || SUCCESS_REPORT_MS).unref();
      return undefined;
    }
    // A failure carries the buffered successes, so the rate it is judged by is current.
    return this.recordShared(successes + this.takePending(), 1 - successes, probeId);
  }

  private async recordShared(successes: number, failures: number, probeId: string): Promise<void> {
    try {
      const reply = await this.shared.record(successes, failures, probeId);
      this.observe(reply, true);
    } catch (error) {
      this.degrade(error);
      this.observe(this.local.record(successes, failures, probeId, Date.now()), false);
    }
  }

  private takePending(): number {
    const n = this.pendingSuccesses;
    this.pendingSuccesses = 0;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    return n;
  }

  /** Runs a manual transition on the shared state; a Redis failure leaves this instance on its local state and is rethrown. */
  private async manual<T>(change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (error) {
      this.degrade(error);
      throw error;
    }
  }

  /** A manual transition, applied to this instance before Redis is asked. */
  private applyLocally(reply: StateReply): void {
    this.local.adopt(reply.state, reply.waitMs, Date.now());
    this.cacheUntil = 0;
    this.observe(reply, false);
  }

  /** Takes in a state seen in a reply: caches it, and emits the transition if it is news to this instance. */
  private observe(reply: StateReply, fromRedis: boolean): void {
    const now = Date.now();
    if (reply.state === 'open') this.openUntil = now + reply.waitMs;
    if (fromRedis && this.options.cacheMs > 0) {
      // Half-open is never cached: probes must be handed out by Redis.
      if (reply.state === 'closed') this.cacheUntil = now + this.options.cacheMs;
      else if (reply.state === 'open') this.cacheUntil = now + Math.min(this.options.cacheMs, reply.waitMs);
      else this.cacheUntil = 0;
    }
    if (reply.state === this.known) return;
    this.known = reply.state;
    if (reply.state === 'open') this.emit('opened', { retryAfterMs: reply.waitMs });
    else if (reply.state === 'half-open') this.emit('halfOpened');
    else this.emit('closed');
    // Stryker disable next-line ConditionalExpression: equivalent, trace() publishes nothing and calls back without a context when nobody subscribes
    if (instrument.enabled) {
      // A transition is no call: published as an operation that is over as it starts.
      const state = reply.state;
      void instrument.trace('transition', this.telemetry, undefined, async (context) => {
        // Stryker disable next-line ConditionalExpression: equivalent, only reached while someone subscribes, so trace() always gives a context
        if (context) context.outcome = state;
      });
    }
  }

  private degrade(error: unknown): void {
    this.nextRedisAttempt = Date.now() + this.options.redisRetryMs;
    if (this.degraded) return;
    this.degraded = true;
    this.cacheUntil = 0;
    this.takePending();
    this.local.adopt(this.known, Math.max(0, this.openUntil - Date.now()), Date.now());
    this.emit('redisUnavailable', { error: error instanceof Error ? error : new Error(String(error)) });
  }

  /** While degraded: at most every `redisRetryMs`, reads the shared state in the background; success ends the outage. */
  private retryRedis(): void {
    if (this.reconnecting || Date.now() < this.nextRedisAttempt) return;
    this.nextRedisAttempt = Date.now() + this.options.redisRetryMs;
    this.reconnecting = this.shared.status().then(
      (status) => {
        this.reconnecting = undefined;
        if (!this.degraded) return;
        this.degraded = false;
        this.emit('redisRestored');
        this.observe({ state: status.state, waitMs: status.retryAfterMs }, true);
      },
      () => {
        this.reconnecting = undefined;
      },
    );
  }

  // One function for every call rather than a closure per call: the cached path is this short.
  private readonly onTimeout = (): CallTimeoutError => new CallTimeoutError(this.name, this.options.timeoutMs);

  /** `isFailure(error)`, where a throwing `isFailure` counts the error as a failure rather than leaving the outcome unrecorded. */
  private countsAsFailure(error: unknown): boolean {
    // Stryker disable next-line ConditionalExpression: equivalent, calling a missing isFailure throws, and a throwing isFailure counts the error as a failure too
    if (!this.options.isFailure) return true;
    try {
      return this.options.isFailure(error);
    } catch {
      return true;
    }
  }

  private async failWith<T>(error: unknown, fallback: ExecuteOptions<T>['fallback']): Promise<T> {
    if (!fallback) throw error;
    this.emit('fallback', { error });
    return fallback(error);
  }
}

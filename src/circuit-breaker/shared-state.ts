import type { CallOptions, RedisConnection } from '../core/connection.js';
import type { ResolvedOptions } from './options.js';
import { checkScript, openScript, type PolicyArgs, recordScript, statusScript } from './scripts.js';
import { type CircuitStatus, type StateReply, sumWindow, type Verdict } from './types.js';

/**
 * The circuit shared by every instance: three keys under one hash tag (the breaker's
 * name), each operation one script call using Redis time.
 * - `state`: hash {state, openUntil}; absent = closed; TTL while open = open period + idle TTL, half-open = idle TTL.
 * - `window`: hash of time buckets; TTL one window (plus a bucket) after the last record.
 * - `probes`: sorted set of probe leases; TTL one lease after the last probe was admitted.
 *
 * The calls a breaker makes around a user's call (check, record, status) wait at most
 * `redisTimeoutMs` (core's deadline timer); manual changes wait the connection's `commandTimeoutMs`.
 */
export class SharedState {
  private readonly keys: [state: string, window: string, probes: string];
  private readonly probeArgs: [leaseMs: number, maxProbes: number, idleTtlMs: number];
  private readonly windowArgs: [bucketMs: number, windowBuckets: number];
  private readonly policyArgs: PolicyArgs;
  private readonly hot: CallOptions;

  constructor(
    private readonly connection: RedisConnection,
    private readonly options: ResolvedOptions,
  ) {
    const ks = connection.keys('circuit-breaker', { durable: true });
    this.keys = [ks.key(options.name, 'state'), ks.key(options.name, 'window'), ks.key(options.name, 'probes')];
    this.probeArgs = [options.probeLeaseMs, options.halfOpenMaxProbes, options.idleTtlMs];
    this.windowArgs = [options.bucketMs, options.windowBuckets];
    this.policyArgs = [
      options.bucketMs,
      options.windowBuckets,
      options.failureThreshold,
      String(options.failureRate),
      options.minimumRequests,
      options.openMs,
      options.idleTtlMs,
    ];
    // Never longer than the connection's own limit: `redisTimeoutMs` only ever shortens the wait.
    const own = connection.commandTimeoutMs;
    this.hot = { timeoutMs: own === 0 ? options.redisTimeoutMs : Math.min(options.redisTimeoutMs, own) };
  }

  /**
   * check.lua: admit, probe or reject one call, and record `successes` gathered since the
   * last report. One round trip, shared with the checks of concurrent calls.
   */
  check(probeId: string, successes: number): Promise<Verdict> {
    const [state, window, probes] = this.keys;
    return this.connection.run(checkScript, [state, probes, window], [probeId, ...this.probeArgs, successes, ...this.windowArgs], this.hot);
  }

  /** record.lua: add outcomes and make the transition they cause. One round trip. */
  record(successes: number, failures: number, probeId: string): Promise<StateReply> {
    return this.connection.run(recordScript, this.keys, [successes, failures, probeId, ...this.policyArgs], this.hot);
  }

  /** open.lua: open for `durationMs` for every instance. One round trip. */
  open(durationMs: number): Promise<StateReply> {
    return this.connection.run(openScript, this.keys, [durationMs, this.options.idleTtlMs]);
  }

  /** Deletes the three keys: closed for every instance, empty window, no probes. One `DEL`. */
  async reset(): Promise<void> {
    await this.connection.send(['DEL', ...this.keys], this.keys[0]);
  }

  /** status.lua: a read-only snapshot. One round trip. */
  async status(): Promise<CircuitStatus> {
    // Stryker disable next-line ArrayDeclaration: equivalent, status.lua reads no ARGV
    const { now, state, openUntil, probes, buckets } = await this.connection.run(statusScript, this.keys, [], this.hot);
    const entries = [...buckets].map(([b, [s, f]]) => [b, s, f] as const);
    return {
      state,
      retryAfterMs: state === 'open' ? Math.max(0, openUntil - now) : 0,
      ...sumWindow(entries, Math.floor(now / this.options.bucketMs), this.options.windowBuckets),
      probesInFlight: probes,
      source: 'redis',
    };
  }
}

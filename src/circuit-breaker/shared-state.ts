import type { RedisConnection } from '../core/connection.js';
import { defineScript } from '../core/script.js';
import type { CircuitState, ResolvedOptions } from './options.js';
import checkSource from './scripts/check.lua';
import openSource from './scripts/open.lua';
import recordSource from './scripts/record.lua';
import statusSource from './scripts/status.lua';
import { type CircuitStatus, type StateReply, sumWindow, type Verdict } from './types.js';

const checkScript = defineScript('circuit-breaker/check', checkSource, 2);
const recordScript = defineScript('circuit-breaker/record', recordSource, 3);
const openScript = defineScript('circuit-breaker/open', openSource, 3);
const statusScript = defineScript('circuit-breaker/status', statusSource, 3);

/**
 * The circuit shared by every instance: three keys under one hash tag (the breaker's
 * name), each operation one script call using Redis time.
 * - `state`: hash {state, openUntil}; absent = closed; TTL while open = open period + idle TTL, half-open = idle TTL.
 * - `window`: hash of time buckets; TTL one window (plus a bucket) after the last record.
 * - `probes`: sorted set of probe leases; TTL one lease after the last probe was admitted.
 */
export class SharedState {
  private readonly keys: [state: string, window: string, probes: string];
  private readonly checkArgs: [leaseMs: number, maxProbes: number, idleTtlMs: number];
  private readonly policyArgs: (string | number)[];

  constructor(
    private readonly connection: RedisConnection,
    private readonly options: ResolvedOptions,
  ) {
    const ks = connection.keys('circuit-breaker');
    this.keys = [ks.key(options.name, 'state'), ks.key(options.name, 'window'), ks.key(options.name, 'probes')];
    this.checkArgs = [options.probeLeaseMs, options.halfOpenMaxProbes, options.idleTtlMs];
    this.policyArgs = [
      options.bucketMs,
      options.windowBuckets,
      options.failureThreshold,
      String(options.failureRate),
      options.minimumRequests,
      options.openMs,
      options.idleTtlMs,
    ];
  }

  /** check.lua: admit, probe or reject one call. One round trip. */
  async check(probeId: string): Promise<Verdict> {
    const [verdict, state, waitMs] = (await this.connection.run(
      checkScript,
      [this.keys[0], this.keys[2]],
      [probeId, ...this.checkArgs],
    )) as [Verdict['verdict'], CircuitState, number];
    return { verdict, state, waitMs: Number(waitMs) };
  }

  /** record.lua: add outcomes and make the transition they cause. One round trip. */
  async record(successes: number, failures: number, probeId: string): Promise<StateReply> {
    return toStateReply(await this.connection.run(recordScript, this.keys, [successes, failures, probeId, ...this.policyArgs]));
  }

  /** open.lua: open for `durationMs` for every instance. One round trip. */
  async open(durationMs: number): Promise<StateReply> {
    return toStateReply(await this.connection.run(openScript, this.keys, [durationMs, this.options.idleTtlMs]));
  }

  /** Deletes the three keys: closed, empty window, no probes. One `DEL`. */
  async close(): Promise<void> {
    await this.connection.send(['DEL', ...this.keys], this.keys[0]);
  }

  /** status.lua: a read-only snapshot. One round trip. */
  async status(): Promise<CircuitStatus> {
    const reply = (await this.connection.run(statusScript, this.keys, [])) as (string | number)[];
    const now = Number(reply[0]);
    // '' from Redis for an absent state; ioredis-mock's Lua emulator gives null instead.
    const state = (reply[1] || 'closed') as CircuitState;
    const buckets = new Map<number, [number, number]>();
    for (let i = 4; i < reply.length; i += 2) {
      const [bucket, kind] = String(reply[i]).split(':');
      const counts = buckets.get(Number(bucket)) ?? [0, 0];
      counts[kind === 's' ? 0 : 1] += Number(reply[i + 1]);
      buckets.set(Number(bucket), counts);
    }
    const entries = [...buckets].map(([b, [s, f]]) => [b, s, f] as const);
    return {
      state,
      retryAfterMs: state === 'open' ? Math.max(0, Number(reply[2]) - now) : 0,
      ...sumWindow(entries, Math.floor(now / this.options.bucketMs), this.options.windowBuckets),
      probesInFlight: Number(reply[3]),
      source: 'redis',
    };
  }
}

function toStateReply(reply: unknown): StateReply {
  const [state, waitMs] = reply as [CircuitState, number];
  return { state, waitMs: Number(waitMs) };
}

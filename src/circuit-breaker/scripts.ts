// Every Lua script of the module with its contract: keys, argument types, parsed reply.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import type { CircuitState } from './options.js';
import checkSource from './scripts/check.lua';
import openSource from './scripts/open.lua';
import recordSource from './scripts/record.lua';
import statusSource from './scripts/status.lua';
import type { StateReply, Verdict } from './types.js';

/** What `status.lua` read, at Redis time `now`. */
export interface StatusReply {
  /** Redis time, epoch ms. */
  now: number;
  /** The stored state (`closed` when absent). */
  state: CircuitState;
  /** End of the open period (Redis ms), `0` when not open. */
  openUntil: number;
  /** Probe leases not yet ended. */
  probes: number;
  /** The window's counts per bucket: bucket -> [successes, failures]. */
  buckets: Map<number, [successes: number, failures: number]>;
}

const isVerdict = (v: string): v is Verdict['verdict'] => v === 'allow' || v === 'probe' || v === 'reject';
const isState = (s: string): s is CircuitState => s === 'closed' || s === 'open' || s === 'half-open';

function entries(reply: RedisReply): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`expected an array, got ${typeof reply}`);
  return reply;
}

function stateOf(value: unknown): CircuitState {
  // '' from Redis for an absent state; ioredis-mock's Lua emulator gives null instead.
  const state = value == null || value === '' ? 'closed' : String(value);
  if (!isState(state)) throw new Error(`unknown circuit state ${state}`);
  return state;
}

function stateReply(reply: RedisReply): StateReply {
  const [state, waitMs] = entries(reply);
  return { state: stateOf(state), waitMs: Number(waitMs) };
}

/** What check.lua takes: the probe id, the probe policy, and successes to record in the window. */
export type CheckArgs = [
  probeId: string,
  leaseMs: number,
  maxProbes: number,
  idleTtlMs: number,
  successes: number,
  bucketMs: number,
  windowBuckets: number,
];

export const checkScript = defineScript<CheckArgs, Verdict>('circuit-breaker/check', checkSource, {
  keys: 3,
  coalesce: { replyLength: 3, readsTime: true },
  parseReply: (reply) => {
    const [verdict, state, waitMs] = entries(reply);
    const v = String(verdict);
    if (!isVerdict(v)) throw new Error(`unknown verdict ${v}`);
    return { verdict: v, state: stateOf(state), waitMs: Number(waitMs) };
  },
});

/** The breaker's policy as `record.lua` takes it: the same for every record of one breaker. */
export type PolicyArgs = [
  bucketMs: number,
  windowBuckets: number,
  failureThreshold: number,
  failureRate: string,
  minimumRequests: number,
  openMs: number,
  idleTtlMs: number,
];

export const recordScript = defineScript<[successes: number, failures: number, probeId: string, ...policy: PolicyArgs], StateReply>(
  'circuit-breaker/record',
  recordSource,
  { keys: 3, parseReply: stateReply },
);

export const openScript = defineScript<[durationMs: number, idleTtlMs: number], StateReply>('circuit-breaker/open', openSource, {
  keys: 3,
  parseReply: stateReply,
});

export const statusScript = defineScript<[], StatusReply>('circuit-breaker/status', statusSource, {
  keys: 3,
  parseReply: (reply) => {
    const list = entries(reply);
    const buckets = new Map<number, [number, number]>();
    for (let i = 4; i < list.length; i += 2) {
      const [bucket, kind] = String(list[i]).split(':');
      const counts = buckets.get(Number(bucket)) ?? [0, 0];
      counts[kind === 's' ? 0 : 1] += Number(list[i + 1]);
      buckets.set(Number(bucket), counts);
    }
    return { now: Number(list[0]), state: stateOf(list[1]), openUntil: Number(list[2] || 0), probes: Number(list[3]), buckets };
  },
});

import type { CircuitState, ResolvedOptions } from './options.js';
import { type CircuitStatus, type StateReply, sumWindow, type Verdict } from './types.js';

/**
 * The circuit of one instance in memory: the same rules as the Lua scripts
 * (check.lua, record.lua), on the local clock. The breaker runs on it while Redis is
 * unavailable, starting from the last shared state it saw, so calls keep flowing (or
 * keep failing fast) without Redis; limits such as `halfOpenMaxProbes` then hold per
 * instance rather than across all of them.
 */
export class LocalState {
  private state: CircuitState = 'closed';
  private openUntil = 0;
  /** bucket index -> [successes, failures] */
  private readonly window = new Map<number, [number, number]>();
  /** probe id -> lease end */
  private readonly probes = new Map<string, number>();

  constructor(private readonly options: ResolvedOptions) {}

  /** Starts over from a state seen elsewhere (the shared state), with an empty window. */
  adopt(state: CircuitState, waitMs: number, now: number): void {
    this.state = state;
    this.openUntil = now + waitMs;
    this.window.clear();
    this.probes.clear();
  }

  /** Same decision as check.lua. */
  check(probeId: string, now: number): Verdict {
    if (this.state === 'closed') return { verdict: 'allow', state: 'closed', waitMs: 0 };
    if (this.state === 'open') {
      if (now < this.openUntil) return { verdict: 'reject', state: 'open', waitMs: this.openUntil - now };
      this.state = 'half-open';
    }
    let firstEnd = Number.POSITIVE_INFINITY;
    for (const [id, end] of this.probes) {
      if (end <= now) this.probes.delete(id);
      else firstEnd = Math.min(firstEnd, end);
    }
    if (this.probes.size >= this.options.halfOpenMaxProbes) return { verdict: 'reject', state: 'half-open', waitMs: firstEnd - now };
    this.probes.set(probeId, now + this.options.probeLeaseMs);
    return { verdict: 'probe', state: 'half-open', waitMs: 0 };
  }

  /** Same transitions as record.lua. */
  record(successes: number, failures: number, probeId: string, now: number): StateReply {
    // Stryker disable next-line StringLiteral: equivalent, probe ids (instanceId:sequence) are never empty, so an id compared against any other string is looked up in vain
    const currentProbe = probeId !== '' && this.probes.delete(probeId);
    if (this.state === 'half-open') {
      if (!currentProbe) return { state: 'half-open', waitMs: 0 };
      if (failures > 0) return this.open(this.options.openMs, now);
      this.adopt('closed', 0, now);
      return { state: 'closed', waitMs: 0 };
    }
    if (this.state === 'open') return { state: 'open', waitMs: Math.max(0, this.openUntil - now) };
    const bucket = Math.floor(now / this.options.bucketMs);
    const counts = this.window.get(bucket) ?? [0, 0];
    counts[0] += successes;
    counts[1] += failures;
    this.window.set(bucket, counts);
    for (const b of this.window.keys()) if (b <= bucket - this.options.windowBuckets) this.window.delete(b);
    const total = this.totals(now);
    if (tripped(this.options, total.successes, total.failures)) return this.open(this.options.openMs, now);
    return { state: 'closed', waitMs: 0 };
  }

  /** Opens for `durationMs` and forgets the window and the probes. */
  open(durationMs: number, now: number): StateReply {
    this.adopt('open', durationMs, now);
    return { state: 'open', waitMs: durationMs };
  }

  /** A snapshot, like status.lua read by the shared state. */
  status(now: number): CircuitStatus {
    let probes = 0;
    for (const end of this.probes.values()) if (end > now) probes++;
    return {
      state: this.state,
      retryAfterMs: this.state === 'open' ? Math.max(0, this.openUntil - now) : 0,
      ...this.totals(now),
      probesInFlight: probes,
      source: 'local',
    };
  }

  private totals(now: number): { successes: number; failures: number } {
    const entries = [...this.window].map(([b, [s, f]]) => [b, s, f] as const);
    return sumWindow(entries, Math.floor(now / this.options.bucketMs), this.options.windowBuckets);
  }
}

/** The opening rule of record.lua: enough calls, and failures at the threshold (count) or rate. */
function tripped(o: ResolvedOptions, successes: number, failures: number): boolean {
  const total = successes + failures;
  if (total < o.minimumRequests) return false;
  if (o.failureThreshold > 0) return failures >= o.failureThreshold;
  return failures > 0 && failures >= o.failureRate * total;
}

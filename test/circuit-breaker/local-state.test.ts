// The in-memory circuit a breaker runs on while Redis is unavailable, driven with explicit
// clock values so that every boundary (an open period's end, a probe lease's end, a window
// bucket's age, the trip threshold) is hit exactly. The same rules run in Lua on Redis time,
// where the shared-circuit and half-open tests cover them.
import { describe, expect, it } from 'vitest';
import { LocalState } from '../../src/circuit-breaker/local-state.js';
import { type CircuitBreakerOptions, resolveOptions } from '../../src/circuit-breaker/options.js';
import { type BreakerOptions, closedEmptyLocal } from './helpers.js';

const T0 = 1_000_000; // any clock value: the rules use differences only

function local(options: BreakerOptions = {}): LocalState {
  // The options as a breaker resolves them; the connection is not part of the rules.
  return new LocalState(resolveOptions({ name: 'pharmacy-api', ...options } as CircuitBreakerOptions));
}

describe('LocalState (the circuit in memory during an outage)', () => {
  it('closed: allows every call and reports a closed status', () => {
    const s = local();
    expect(s.check('p1', T0)).toEqual({ verdict: 'allow', state: 'closed', waitMs: 0 });
    expect(s.record(1, 0, '', T0)).toEqual({ state: 'closed', waitMs: 0 });
    expect(s.status(T0)).toEqual({ state: 'closed', retryAfterMs: 0, successes: 1, failures: 0, probesInFlight: 0, source: 'local' });
  });

  it('rate mode: trips at exactly failureRate of minimumRequests calls, not before and not on successes', () => {
    const s = local({ failureRate: 0.5, minimumRequests: 4, openMs: 5_000 });
    // Successes alone never open it, however many.
    for (let i = 0; i < 10; i++) expect(s.record(1, 0, '', T0)).toEqual({ state: 'closed', waitMs: 0 });
    const t = local({ failureRate: 0.5, minimumRequests: 4, openMs: 5_000 });
    expect(t.record(0, 1, '', T0)).toEqual({ state: 'closed', waitMs: 0 }); // below minimumRequests
    expect(t.record(1, 0, '', T0)).toEqual({ state: 'closed', waitMs: 0 });
    expect(t.record(1, 0, '', T0)).toEqual({ state: 'closed', waitMs: 0 }); // 1 of 3
    expect(t.record(0, 1, '', T0)).toEqual({ state: 'open', waitMs: 5_000 }); // 2 of 4 = 0.5
    expect(t.status(T0)).toMatchObject({ state: 'open', retryAfterMs: 5_000, successes: 0, failures: 0 });
  });

  it('count mode: trips at failureThreshold failures', () => {
    const s = local({ failureThreshold: 3, openMs: 1_000 });
    expect(s.record(0, 2, '', T0)).toEqual({ state: 'closed', waitMs: 0 });
    expect(s.record(5, 0, '', T0)).toEqual({ state: 'closed', waitMs: 0 });
    expect(s.record(0, 1, '', T0)).toEqual({ state: 'open', waitMs: 1_000 });
  });

  it('open: rejects until exactly openMs has passed, then lets one probe through', () => {
    const s = local({ failureThreshold: 1, openMs: 1_000, halfOpenMaxProbes: 1, probeLeaseMs: 60_000 });
    s.record(0, 1, '', T0);
    expect(s.check('p1', T0 + 999)).toEqual({ verdict: 'reject', state: 'open', waitMs: 1 });
    // Results of calls let through before it opened change nothing.
    expect(s.record(0, 1, '', T0 + 500)).toEqual({ state: 'open', waitMs: 500 });
    expect(s.record(0, 1, '', T0 + 2_000)).toEqual({ state: 'open', waitMs: 0 });
    expect(s.status(T0 + 400)).toMatchObject({ state: 'open', retryAfterMs: 600 });
    expect(s.status(T0 + 2_000)).toMatchObject({ state: 'open', retryAfterMs: 0 });
    expect(s.check('p1', T0 + 1_000)).toEqual({ verdict: 'probe', state: 'half-open', waitMs: 0 });
    expect(s.check('p2', T0 + 1_000)).toEqual({ verdict: 'reject', state: 'half-open', waitMs: 60_000 });
    expect(s.status(T0 + 1_000)).toMatchObject({ state: 'half-open', retryAfterMs: 0, probesInFlight: 1 });
  });

  it('half-open: a probe lease ends at exactly probeLeaseMs, freeing its slot', () => {
    const s = local({ failureThreshold: 1, openMs: 1_000, halfOpenMaxProbes: 1, probeLeaseMs: 2_000, timeoutMs: 1_000 });
    s.record(0, 1, '', T0);
    expect(s.check('p1', T0 + 1_000).verdict).toBe('probe');
    expect(s.check('p2', T0 + 2_999)).toEqual({ verdict: 'reject', state: 'half-open', waitMs: 1 });
    expect(s.status(T0 + 2_999).probesInFlight).toBe(1);
    expect(s.status(T0 + 3_000).probesInFlight).toBe(0);
    expect(s.check('p2', T0 + 3_000)).toEqual({ verdict: 'probe', state: 'half-open', waitMs: 0 });
  });

  it('half-open: only the current probe decides; success closes with an empty window, failure reopens', () => {
    const s = local({ failureThreshold: 1, openMs: 1_000, halfOpenMaxProbes: 2, probeLeaseMs: 60_000 });
    s.record(0, 1, '', T0);
    expect(s.check('p1', T0 + 1_000).verdict).toBe('probe');
    // A result without a probe id, or of a probe it does not know, changes nothing.
    expect(s.record(0, 1, '', T0 + 1_001)).toEqual({ state: 'half-open', waitMs: 0 });
    expect(s.record(0, 1, 'someone-else', T0 + 1_001)).toEqual({ state: 'half-open', waitMs: 0 });
    expect(s.record(1, 0, 'p1', T0 + 1_002)).toEqual({ state: 'closed', waitMs: 0 });
    expect(s.status(T0 + 1_002)).toEqual(closedEmptyLocal);
    // The probe's lease ended with its result: the same id is not current any more.
    s.record(0, 1, '', T0 + 2_000);
    expect(s.check('p2', T0 + 3_000).verdict).toBe('probe');
    expect(s.record(0, 1, 'p2', T0 + 3_001)).toEqual({ state: 'open', waitMs: 1_000 });
    expect(s.check('p3', T0 + 3_002)).toEqual({ verdict: 'reject', state: 'open', waitMs: 999 });
  });

  it('the window forgets a bucket exactly windowBuckets buckets old', () => {
    // 10 buckets of 100 ms; the failures land in bucket 0.
    const s = local({ failureRate: 0.5, minimumRequests: 4, windowMs: 1_000, windowBuckets: 10 });
    const at = (bucket: number) => bucket * 100;
    expect(s.record(0, 2, '', at(0))).toEqual({ state: 'closed', waitMs: 0 });
    expect(s.status(at(9))).toMatchObject({ failures: 2 });
    expect(s.status(at(10))).toMatchObject({ failures: 0 });
    // 2 successes 10 buckets later: the old failures no longer count, so 2 of 4 is not reached.
    expect(s.record(2, 0, '', at(10))).toEqual({ state: 'closed', waitMs: 0 });
    expect(s.record(0, 1, '', at(10))).toEqual({ state: 'closed', waitMs: 0 });
    // One bucket earlier they would have: 2 failures + 1 success + 1 failure = 3 of 4.
    const t = local({ failureRate: 0.5, minimumRequests: 4, windowMs: 1_000, windowBuckets: 10 });
    t.record(0, 2, '', at(0));
    expect(t.record(1, 0, '', at(9))).toEqual({ state: 'closed', waitMs: 0 });
    expect(t.record(0, 1, '', at(9))).toEqual({ state: 'open', waitMs: 30_000 });
  });

  it('adopt starts over from a shared state with an empty window and no probes', () => {
    const s = local({ failureThreshold: 2, halfOpenMaxProbes: 1 });
    s.record(0, 1, '', T0);
    s.adopt('half-open', 0, T0);
    expect(s.check('p1', T0)).toEqual({ verdict: 'probe', state: 'half-open', waitMs: 0 });
    s.adopt('closed', 0, T0);
    expect(s.record(0, 1, '', T0)).toEqual({ state: 'closed', waitMs: 0 }); // the earlier failure is gone
    expect(s.status(T0)).toMatchObject({ probesInFlight: 0, failures: 1 });
    s.adopt('open', 250, T0);
    expect(s.check('p2', T0)).toEqual({ verdict: 'reject', state: 'open', waitMs: 250 });
  });

  it('a half-open or closed state adopted with an open period still to run is not open: it probes, allows, reports no wait', () => {
    // A breaker hands over the end of the last open period it saw, whatever state it is in now:
    // one that saw a minute-long opening, then (another instance forcing a short one) half-open.
    const s = local({ failureThreshold: 1, halfOpenMaxProbes: 1 });
    s.adopt('half-open', 60_000, T0);
    expect(s.check('p1', T0)).toEqual({ verdict: 'probe', state: 'half-open', waitMs: 0 });
    expect(s.status(T0)).toMatchObject({ state: 'half-open', retryAfterMs: 0, probesInFlight: 1 });
    s.adopt('closed', 60_000, T0);
    expect(s.check('p2', T0)).toEqual({ verdict: 'allow', state: 'closed', waitMs: 0 });
    expect(s.status(T0)).toEqual(closedEmptyLocal);
  });
});

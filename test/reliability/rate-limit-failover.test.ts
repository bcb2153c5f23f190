// Rate limits across the failover of their primary (Sentinel, or the Cluster shard of the
// identity), the replica cut off before the primary is killed so that what the primary
// admitted meanwhile is deterministically missing on the promoted replica. The limiters have
// no durability option: admissions lost with the old primary are admitted again, so over a
// window Redis admits at most `limit` plus what it admitted while unreplicated (and exactly
// that here). During the outage every check answers by its policy (fail-open) within its
// time limit.
import { describe, expect, it } from 'vitest';
import {
  type RateLimiter,
  type RateLimitResult,
  SlidingWindowCounterLimiter,
  SlidingWindowLogLimiter,
} from '../../src/rate-limit/index.js';
import { failoverKind, typedFailure, useFailoverTopology } from '../harness/failover.js';
import { driver } from '../harness/redis.js';

const LIMIT = 10;
// One window for the whole test: no count expires while it runs.
const WINDOW_MS = 3_600_000;
const TIMEOUT_MS = 200;
// Outside the failover, checks wait for Redis: one that timed out on a loaded machine would
// answer fail-open and, depending on when, be counted by Redis or not.
const PATIENT_MS = 5_000;

interface Timed {
  result: RateLimitResult;
  ms: number;
}

async function timedCheck(limiter: RateLimiter, id: string): Promise<Timed> {
  const started = performance.now();
  const result = await limiter.check(id);
  return { result, ms: performance.now() - started };
}

/** Checks until Redis itself refuses one; returns how many Redis admitted. */
async function admitUntilRefused(limiter: RateLimiter, id: string): Promise<number> {
  let admitted = 0;
  for (let i = 0; i < 1000; i++) {
    const { result } = await timedCheck(limiter, id);
    if (result.source !== 'redis') continue;
    if (!result.allowed) return admitted;
    admitted++;
  }
  throw new Error('never refused');
}

describe.skipIf(!failoverKind)(`rate limits across a ${failoverKind} failover via ${driver}`, () => {
  const fixture = useFailoverTopology();

  it('Redis admits at most limit + what it admitted while unreplicated; checks fail open within their time limit meanwhile', async (context) => {
    const topo = fixture.topology();
    const connection = await fixture.connect();
    const id = topo.onVictim('patient');
    // The same two limits (same names, so the same keys), one set per time limit.
    const limitersWithin = (timeoutMs: number): RateLimiter[] => [
      new SlidingWindowLogLimiter({ connection, name: 'log', limit: LIMIT, windowMs: WINDOW_MS, timeoutMs }),
      new SlidingWindowCounterLimiter({ connection, name: 'counter', limit: LIMIT, windowMs: WINDOW_MS, timeoutMs }),
    ];
    const limiters = limitersWithin(TIMEOUT_MS);
    const patient = limitersWithin(PATIENT_MS);
    const outages: unknown[] = [];
    for (const limiter of limiters) limiter.on('outage', ({ error }) => outages.push(error));

    const replicated = 4;
    for (const limiter of patient) {
      for (let i = 0; i < replicated; i++) expect(await limiter.check(id)).toMatchObject({ allowed: true, source: 'redis' });
    }
    await topo.replicaCaughtUp();

    await topo.cutReplication();
    const unreplicated = await Promise.all(patient.map((l) => admitUntilRefused(l, id)));
    expect(unreplicated).toEqual([LIMIT - replicated, LIMIT - replicated]);

    // Checks go on while the primary dies and its replica is promoted.
    let failingOver = true;
    const failover = topo.failover().finally(() => {
      failingOver = false;
    });
    const during: Timed[][] = limiters.map(() => []);
    while (failingOver) {
      for (const [i, limiter] of limiters.entries()) during[i]?.push(await timedCheck(limiter, id));
    }
    await failover;
    const afterwards = await Promise.all(patient.map((l) => admitUntilRefused(l, id)));

    // Admitted by Redis in the window: before the cut, while cut off (lost with the old
    // primary), during the failover once the replica answered, and after it.
    const total = limiters.map((_, i) => {
      const duringByRedis = (during[i] ?? []).filter((d) => d.result.source === 'redis' && d.result.allowed).length;
      return replicated + (unreplicated[i] as number) + duringByRedis + (afterwards[i] as number);
    });
    // A check that timed out (answered fail-open) may still reach the promoted replica later
    // (the client sends it once it has the new primary): Redis then counted it although the
    // caller never saw its answer. So Redis admitted exactly limit + unreplicated, of which the
    // callers saw all but at most those late ones.
    for (const [i, u] of unreplicated.entries()) {
      const late = (during[i] ?? []).filter((d) => d.result.source === 'fail-open').length;
      expect(total[i]).toBeLessThanOrEqual(LIMIT + u);
      expect(total[i]).toBeGreaterThanOrEqual(LIMIT + u - late);
    }
    const failOpen = during.flat().filter((d) => d.result.source === 'fail-open');
    expect(failOpen.length, 'the outage was noticed').toBeGreaterThan(0);
    for (const d of failOpen) expect(d.result.allowed).toBe(true);
    const slowest = Math.max(...failOpen.map((d) => d.ms));
    expect(slowest).toBeLessThan(TIMEOUT_MS + 1500);
    expect(outages.filter((e) => !typedFailure(e)).map(String)).toEqual([]);
    await context.annotate(
      `admitted by Redis in one window of limit ${LIMIT}: ${total.join(' / ')} (log / counter); ${failOpen.length} checks failed open, the slowest in ${Math.round(slowest)} ms`,
    );
  }, 90_000);
});

// FencedLock across the failover of its primary (Sentinel, or the Cluster shard of the
// resources). The replica is cut off (frozen, its link closed) before the primary is killed,
// so what the primary granted meanwhile is deterministically missing on the promoted replica.
// With `durability`, three connections acquiring and releasing all along never see a fencing
// token twice nor two holders at once, and grants during the cut are refused with
// ReplicationError. Without it, the lost grant is granted again, with the same token.
import { describe, expect, it } from 'vitest';
import { sleep } from '../../scripts/lib/redis-servers.js';
import { ReplicationError } from '../../src/index.js';
import { type FencedLease, FencedLock, LockNotAcquiredError } from '../../src/lock/index.js';
import {
  DURABLE,
  errorCounts,
  FAILOVER_WAIT_MS,
  failoverKind,
  outcome,
  typedFailure,
  untilItWorks,
  useFailoverTopology,
} from '../harness/failover.js';
import { driver } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';

/** One holder's critical section: from `acquire` resolving to `release` being called. */
interface Section {
  token: number;
  from: number;
  to: number;
}

describe.skipIf(!failoverKind)(`FencedLock across a ${failoverKind} failover via ${driver}`, () => {
  const fixture = useFailoverTopology();

  it('durable: no token twice, no overlapping holders, ReplicationError while unreplicated; plain: the lost grant is granted again with its token', async (context) => {
    const topo = fixture.topology();
    const shared = topo.onVictim('refill');
    const probe = topo.onVictim('probe');
    const plainResource = topo.onVictim('plain');
    const durableLocks = await Promise.all(
      [0, 1, 2].map(async () => new FencedLock({ connection: await fixture.connect(), ttlMs: 2000, durability: DURABLE })),
    );
    const prober = new FencedLock({ connection: await fixture.connect(), durability: DURABLE });
    const plain = new FencedLock({ connection: await fixture.connect(), ttlMs: 60_000 });

    // Three connections take turns on one resource, before, during and after the failover.
    const sections: Section[] = [];
    const errors: unknown[] = [];
    let running = true;
    const holders = durableLocks.map(async (lock) => {
      while (running) {
        let lease: FencedLease;
        try {
          lease = await lock.acquire(shared, { waitMs: 1000 });
        } catch (err) {
          errors.push(err);
          await sleep(20);
          continue;
        }
        const from = performance.now();
        await sleep(5);
        sections.push({ token: lease.token, from, to: performance.now() });
        await lease.release().catch((err: unknown) => errors.push(err));
      }
    });
    const sectionsReach = (n: number, what: string) =>
      waitFor(() => sections.length >= n, FAILOVER_WAIT_MS, `${what}: ${n} sections (errors ${JSON.stringify(errorCounts(errors))})`);

    try {
      await sectionsReach(5, 'before the failover');
      const plainBefore = await plain.acquire(plainResource);
      await plainBefore.release();
      await topo.replicaCaughtUp();

      await topo.cutReplication();
      // Refused once `waitMs` passed without a confirmation, and given back.
      const refused = await outcome(prober.tryAcquire(probe));
      expect(refused.error).toBeInstanceOf(ReplicationError);
      expect(refused.ms).toBeGreaterThanOrEqual(DURABLE.waitMs - 5);
      expect(refused.ms).toBeLessThan(DURABLE.waitMs + 1500);
      // Without durability the grant resolves: it exists on the doomed primary only.
      const lostGrant = await plain.acquire(plainResource);
      expect(lostGrant.token).toBe(plainBefore.token + 1);
      await waitFor(() => errors.some((e) => e instanceof ReplicationError), FAILOVER_WAIT_MS, 'the holders meet ReplicationError');

      const killedAt = performance.now();
      await topo.failover();
      // The lost grant is gone: a second holder gets the lock while the first still "holds"
      // it, and the same fencing token, so fencing cannot tell them apart.
      const failoverErrors: unknown[] = [];
      const second = await untilItWorks(() => plain.acquire(plainResource, { waitMs: 0 }), failoverErrors);
      const grantedAgainMs = performance.now() - killedAt;
      expect(second.token).toBe(lostGrant.token);
      expect(await lostGrant.extend()).toBe(false);
      expect(failoverErrors.filter((e) => !typedFailure(e)).map(String)).toEqual([]);

      // The promoted replica has no replica of its own until the old primary rejoins: durable
      // grants wait for that.
      await topo.rejoin();
      await sectionsReach(sections.length + 5, 'after the failover');
      await context.annotate(
        `plain: the lost grant (token ${lostGrant.token}) granted again ${Math.round(grantedAgainMs)} ms after the kill, with token ${second.token}; callers saw ${JSON.stringify(errorCounts(failoverErrors))}`,
      );
    } finally {
      running = false;
      await Promise.all(holders);
    }

    const tokens = sections.map((s) => s.token);
    expect(new Set(tokens).size, 'no token handed out twice').toBe(tokens.length);
    const inOrder = [...sections].sort((a, b) => a.from - b.from);
    for (let i = 1; i < inOrder.length; i++) {
      const [prev, next] = [inOrder[i - 1] as Section, inOrder[i] as Section];
      expect(next.from, `section of token ${next.token} starts after token ${prev.token}'s ends`).toBeGreaterThanOrEqual(prev.to);
      expect(next.token).toBeGreaterThan(prev.token);
    }
    const unexpected = errors.filter((e) => !typedFailure(e) && !(e instanceof LockNotAcquiredError));
    expect(unexpected.map(String)).toEqual([]);
    expect(errors.some((e) => e instanceof ReplicationError)).toBe(true);
    await context.annotate(
      `durable: ${sections.length} critical sections, ${new Set(tokens).size} distinct tokens, none overlapping; holders saw ${JSON.stringify(errorCounts(errors))}`,
    );
  }, 90_000);
});

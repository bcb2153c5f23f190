// Patient-provider matching is expensive (scoring every provider against a patient's
// needs), so each unique search is cached under a key built from its criteria: the same
// search in any property order is one entry, a burst of identical searches computes once,
// and stale results are served while one instance recomputes in the background. The
// insurance-plan mapping that every request needs sits in the in-process L1 tier, kept
// coherent across app instances over pub/sub.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Cache, stableKey } from 'redis-patterns/cache';
import { check, withRedis } from '../_shared/redis.js';

interface Criteria {
  specialty: string;
  zip: string;
  insurers: string[];
  languages?: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await withRedis(async (url) => {
  const clients = [new Redis(url), new Redis(url)];
  const [a, b] = clients.map((c) => RedisConnection.from(c, { prefix: 'clinic' })) as [RedisConnection, RedisConnection];
  // Two app instances sharing Redis.
  const matchesA = new Cache({ connection: a, ttlMs: 500, staleWhileRevalidateMs: 5_000 });
  const matchesB = new Cache({ connection: b, ttlMs: 500, staleWhileRevalidateMs: 5_000 });
  const plansA = new Cache({ connection: a, ttlMs: 3_600_000, l1: { maxEntries: 100, ttlMs: 60_000 } });
  const plansB = new Cache({ connection: b, ttlMs: 3_600_000, l1: { maxEntries: 100, ttlMs: 60_000 } });
  // Optional: L1 holds nothing until it listens for invalidations; awaiting makes the first reads L1 hits.
  await Promise.all([plansA.ready(), plansB.ready()]);
  try {
    let computations = 0;
    const match = async (c: Criteria) => {
      computations++;
      await sleep(100); // the expensive part
      return { criteria: c, providers: [`${c.specialty}-provider-1`, `${c.specialty}-provider-2`], computedAt: Date.now() };
    };
    const search = (cache: Cache, c: Criteria) => cache.wrap(`match:${stableKey(c)}`, () => match(c), { tags: ['matching'] });

    const criteria: Criteria = { specialty: 'cardiology', zip: '02139', insurers: ['aetna', 'bcbs'] };
    const reordered = { insurers: ['aetna', 'bcbs'], zip: '02139', specialty: 'cardiology' };
    console.log(`key: match:${stableKey(criteria)}`);
    check(stableKey(criteria) === stableKey(reordered), 'property order does not change the key');

    // A burst: 40 identical searches arrive at both instances at once.
    const burst = await Promise.all(
      Array.from({ length: 40 }, (_, i) => search(i % 2 ? matchesA : matchesB, i % 3 ? criteria : reordered)),
    );
    console.log(`40 concurrent searches on 2 instances -> ${computations} computation`);
    check(computations === 1, 'one computation for the whole burst');
    check(new Set(burst.map((r) => r.computedAt)).size === 1, 'everyone got the same result');

    // Past the 500 ms TTL: the stale result is served at once and refreshed once in the background.
    await sleep(600);
    const started = Date.now();
    const stale = await search(matchesB, criteria);
    console.log(`stale read took ${Date.now() - started} ms (served stale, refreshing in the background)`);
    check(stale.computedAt === burst[0]?.computedAt, 'stale value served within the grace period');
    await sleep(300);
    check(Number(computations) === 2, 'refreshed exactly once');

    // The insurance mapping every request needs: after the first read, L1 answers with no round trip.
    const mapping = async () => Object.fromEntries(Array.from({ length: 37_000 }, (_, i) => [`plan-${i}`, `network-${i % 50}`]));
    await plansA.wrap('insurance-mapping:v1', mapping);
    await plansB.wrap('insurance-mapping:v1', mapping);
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) await plansB.wrap('insurance-mapping:v1', mapping);
    console.log(`10,000 mapping reads from L1 in ${(performance.now() - t0).toFixed(1)} ms; L1 hits: ${plansB.stats().l1Hits}`);
    check(plansB.stats().l1Hits >= 10_000, 'L1 serves the mapping');

    // The mapping changes on instance A: B's L1 copy is dropped over pub/sub.
    await plansA.set('insurance-mapping:v1', { 'plan-0': 'network-new' });
    let seen: Record<string, string> | undefined;
    for (let i = 0; i < 100; i++) {
      seen = (await plansB.get<Record<string, string>>('insurance-mapping:v1')) ?? undefined;
      if (seen?.['plan-0'] === 'network-new') break;
      await sleep(10);
    }
    check(seen?.['plan-0'] === 'network-new', 'instance B sees the new mapping');

    // Provider data changed: drop every cached match at once.
    const dropped = await matchesA.invalidateTag('matching');
    console.log(`invalidateTag('matching') dropped ${dropped} entr${dropped === 1 ? 'y' : 'ies'}`);
    check(dropped === 1, 'the cached search was dropped');
  } finally {
    await Promise.all([plansA.close(), plansB.close()]);
    await Promise.all([a.close(), b.close()]);
    for (const c of clients) c.disconnect();
  }
});

// Service across the failover of a primary (Sentinel, or the Cluster shard of the keys): a
// cache and a circuit breaker called all along fall back meanwhile (typed errors in their
// events, no call rejected) and are served by Redis again within a bounded time after the
// promotion. The promoted replica has never run a script (Redis replicates what a script
// wrote, not the script), so the first script call there meets NOSCRIPT and still succeeds.
import { describe, expect, it } from 'vitest';
import { redisCli, sleep } from '../../scripts/lib/redis-servers.js';
import { Cache } from '../../src/cache/index.js';
import { CircuitBreaker } from '../../src/circuit-breaker/index.js';
import { FencedLock } from '../../src/lock/index.js';
import { acquireScript } from '../../src/lock/scripts.js';
import { FAILOVER_WAIT_MS, failoverKind, typedFailure, untilItWorks, useFailoverTopology } from '../harness/failover.js';
import { driver } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';

const RECOVERY_BOUND_MS = 15_000;

describe.skipIf(!failoverKind)(`cache, circuit breaker and scripts across a ${failoverKind} failover via ${driver}`, () => {
  const fixture = useFailoverTopology();

  it('served by Redis again soon after the promotion, typed errors only meanwhile; the first script call on the promoted replica succeeds', async (context) => {
    const topo = fixture.topology();
    const connection = await fixture.connect();
    const cache = new Cache({ connection, ttlMs: 600_000, timeoutMs: 200, offlineBackoffMs: 200 });
    const breaker = new CircuitBreaker({ connection, name: topo.onVictim('pharmacy'), redisTimeoutMs: 200, redisRetryMs: 200 });
    const lock = new FencedLock({ connection: await fixture.connect() });
    const key = topo.onVictim('provider');
    const resource = topo.onVictim('refill');

    const cacheErrors: { error: unknown; at: number }[] = [];
    const breakerErrors: { error: unknown; at: number }[] = [];
    const hits: number[] = [];
    const restored: number[] = [];
    const rejected: unknown[] = [];
    cache.on('redisError', ({ error }) => cacheErrors.push({ error, at: performance.now() }));
    cache.on('hit', () => hits.push(performance.now()));
    breaker.on('redisUnavailable', ({ error }) => breakerErrors.push({ error, at: performance.now() }));
    breaker.on('redisRestored', () => restored.push(performance.now()));
    await cache.wrap(key, async () => 'slots');
    await (await lock.acquire(resource)).release();

    let running = true;
    const callers = [
      (async () => {
        while (running) {
          await cache.wrap(key, async () => 'slots').catch((err: unknown) => rejected.push(err));
          await sleep(20);
        }
      })(),
      (async () => {
        while (running) {
          await breaker.execute(async () => 'sent').catch((err: unknown) => rejected.push(err));
          await sleep(20);
        }
      })(),
    ];
    let killedAt = 0;
    let promotedAt = 0;
    try {
      await waitFor(() => hits.length > 3, FAILOVER_WAIT_MS, 'the cache hits');
      killedAt = performance.now();
      await topo.failover();
      promotedAt = performance.now();

      // The lock's scripts have not run on the promoted replica: its first call there meets
      // NOSCRIPT, which the connection answers by sending the script itself.
      const promoted = topo.victim();
      const loaded = (await redisCli(promoted.port, 'SCRIPT', 'EXISTS', acquireScript.sha)).trim();
      if (loaded !== '0') await redisCli(promoted.port, 'SCRIPT', 'FLUSH');
      const noScript = async () =>
        Number(/errorstat_NOSCRIPT:count=(\d+)/.exec(await redisCli(promoted.port, 'INFO', 'errorstats'))?.[1] ?? 0);
      const noScriptBefore = await noScript();
      // Once the connection reaches the promoted replica at all ...
      await untilItWorks(() => lock.connection.send(['EXISTS', resource], resource), []);
      // ... the first script call succeeds.
      const lease = await lock.acquire(resource);
      await lease.release();
      expect(await noScript()).toBeGreaterThan(noScriptBefore);
      expect((await redisCli(promoted.port, 'SCRIPT', 'EXISTS', acquireScript.sha)).trim()).toBe('1');
      await context.annotate(`SCRIPT EXISTS of a script the old primary had run, on the promoted replica: ${loaded}`);

      // Served by Redis again: the cache hits, the breaker is back on the shared state (the
      // client may have found the new primary before every Sentinel agreed on it).
      await waitFor(() => hits.some((t) => t > promotedAt), RECOVERY_BOUND_MS, 'the cache hits Redis again');
      await waitFor(() => breaker.mode === 'shared', RECOVERY_BOUND_MS, 'the breaker is back on the shared state');
    } finally {
      running = false;
      await Promise.all(callers);
    }
    expect(breakerErrors.length, 'the breaker noticed the outage').toBeGreaterThan(0);
    expect(cacheErrors.length, 'the cache noticed the outage').toBeGreaterThan(0);
    // Back: the first hit (and the breaker's return to Redis) after the outage was first noticed.
    const cacheBack = (hits.find((t) => t > (cacheErrors[0]?.at ?? 0)) as number) - killedAt;
    const breakerBack = (restored.find((t) => t > (breakerErrors[0]?.at ?? 0)) as number) - killedAt;
    await context.annotate(
      `from the kill (the promotion came after ${Math.round(promotedAt - killedAt)} ms): the cache hits Redis again after ${Math.round(cacheBack)} ms, the breaker is back on it after ${Math.round(breakerBack)} ms`,
    );
    expect([...cacheErrors, ...breakerErrors].filter((e) => !typedFailure(e.error)).map((e) => String(e.error))).toEqual([]);
    expect(rejected.map(String)).toEqual([]);
    await breaker.close();
    await cache.close();
  }, 90_000);
});

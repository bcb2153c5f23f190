// A Redis that may evict keys breaks every module that keeps data in it, silently. The
// connection reads each primary's eviction policy when the first such module starts, reports
// the modules at risk, and in strict mode refuses their commands. The failure it warns about is
// real: a queue's jobs vanish when an allkeys-lru server fills up.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { EvictionPolicyError, type EvictionReport, RedisConnection } from '../../src/index.js';
import { FencedLock } from '../../src/lock/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { fullServers } from '../harness/full-server.js';
import { driver, rawClient, target, testConnection } from '../harness/redis.js';

const nextEvent = (connection: RedisConnection) => new Promise<EvictionReport>((resolve) => connection.once('evictionRisk', resolve));

describe(`eviction policy check on ${target} via ${driver}`, () => {
  const startFull = fullServers();

  it.runIf(target === 'standalone')(
    'reports the modules at risk once on allkeys-lru, and a queue job is really lost to eviction',
    async () => {
      const full = await startFull('allkeys-lru');
      const { connection } = full;
      const reported = nextEvent(connection);
      const events: EvictionReport[] = [];
      connection.on('evictionRisk', (r) => events.push(r));
      new Cache({ connection, ttlMs: 60_000 });
      const queue = new StreamQueue({ connection, name: 'availability-sync' });
      new FencedLock({ connection });
      const report = await reported;
      expect(report.evicting).toBe(true);
      expect(report.nodes[0]).toMatchObject({ policy: 'allkeys-lru', maxmemory: 4 * 1024 * 1024 });
      // The cache tolerates eviction: it is not listed. Whichever module started the check, a later
      // check lists every durable module in use.
      expect((await connection.checkEviction()).modulesAtRisk).toEqual(['lock', 'queue']);
      expect(events.length).toBeLessThanOrEqual(2);

      for (let i = 0; i < 20; i++) await queue.add('sync-provider', { provider: i });
      expect((await queue.counts()).waiting).toBe(20);
      await full.fill(); // allkeys-lru never refuses: it evicts the least recently used keys
      // The jobs were accepted, and are gone: what the warning is about.
      expect((await queue.counts()).waiting).toBeLessThan(20);
    },
  );

  it.runIf(target === 'standalone')('strict: refuses the commands of modules that need noeviction, not the cache', async () => {
    const full = await startFull('allkeys-lru');
    const strict = RedisConnection.from(await rawClient({ url: full.server.url }), { prefix: 's', evictionCheck: 'strict' });
    const queue = new StreamQueue({ connection: strict, name: 'refills' });
    const error = await queue.add('send', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvictionPolicyError);
    expect((error as EvictionPolicyError).code).toBe('EVICTION_POLICY');
    expect((error as EvictionPolicyError).report.modulesAtRisk).toEqual(['queue']);
    const cache = new Cache({ connection: strict, ttlMs: 60_000 });
    expect(await cache.set('provider:1', 'slots')).toBe(true);
    expect(await cache.get('provider:1')).toBe('slots');
  });

  it.runIf(target === 'standalone')('checks again after a reconnect: a server that now evicts is reported', async () => {
    const full = await startFull('noeviction');
    const { connection } = full;
    const events: EvictionReport[] = [];
    connection.on('evictionRisk', (r) => events.push(r));
    new StreamQueue({ connection, name: 'after-failover' });
    expect((await connection.checkEviction()).evicting).toBe(false);
    // What a failover to a differently configured server looks like to the client: a new policy, a reconnect.
    await connection.send(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random']);
    const reported = nextEvent(connection);
    await connection.send(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'no']).catch(() => {});
    const report = await reported;
    expect(report.nodes[0]?.policy).toBe('allkeys-random');
    expect(report.modulesAtRisk).toEqual(['queue']);
    expect(events).toHaveLength(1);
  });

  it('reports nothing and refuses nothing on noeviction (the test servers), even when strict', async () => {
    const connection = await testConnection({ evictionCheck: 'strict' });
    const events: EvictionReport[] = [];
    connection.on('evictionRisk', (r) => events.push(r));
    const queue = new StreamQueue({ connection, name: 'ok' });
    expect((await queue.add('job', 1)).added).toBe(true);
    const report = await connection.checkEviction();
    expect(report).toMatchObject({ evicting: false, modulesAtRisk: [] });
    expect(report.nodes).toHaveLength(target === 'cluster' ? 3 : 1);
    expect(events).toEqual([]);
  });

  it.runIf(target === 'cluster')('on a cluster, finds the one primary that may evict', async () => {
    const connection = await testConnection();
    const [, node] = await connection.client.primaries();
    const before = (await node?.send(['CONFIG', 'GET', 'maxmemory-policy'])) as string[];
    try {
      await node?.send(['CONFIG', 'SET', 'maxmemory', '1gb', 'maxmemory-policy', 'allkeys-lfu']);
      const reported = nextEvent(connection);
      new FencedLock({ connection });
      const report = await reported;
      expect(report.modulesAtRisk).toEqual(['lock']);
      expect(report.nodes.filter((n) => n.policy === 'allkeys-lfu')).toHaveLength(1);
      expect(report.nodes.filter((n) => n.policy === 'noeviction')).toHaveLength(2);
    } finally {
      await node?.send(['CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', String(before[1])]);
    }
  });
});

// Sharded pub/sub on a cluster, and the fallback where the servers lack it, each on a private
// cluster of 3 primaries with a replica each: what reaches which node when the cache announces
// its invalidations. PUBLISH crosses the cluster bus to every node; SPUBLISH stays within the
// shard that owns the channel's slot (its primary and that primary's replica).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RedisCluster, startCluster } from '../../scripts/lib/redis-cluster.js';
import { redisCli } from '../../scripts/lib/redis-servers.js';
import { Cache } from '../../src/cache/index.js';
import { CacheLayout } from '../../src/cache/layout.js';
import publishSource from '../../src/core/lua/publish.lua';
import { RedisConnection } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { FencedLock } from '../../src/lock/index.js';
import { driver, rawClient, target, uniquePrefix } from '../harness/redis.js';

const SETS = 300;

// Runs core/lua/publish.lua as the library's scripts do: KEYS[1] the channel, ARGV the flag and message.
const publishScript = defineScript<[flag: '0' | '1', message: string]>(
  'test/publish',
  `${publishSource}\npublish(ARGV[1], KEYS[1], ARGV[2])\nreturn 1`,
  {
    keys: 1,
  },
);

/** Pub/sub messages a node received over the cluster bus (Valkey 8 does not count the ones it sends). */
interface BusStats {
  /** Of `PUBLISH`. */
  publish: number;
  /** Of `SPUBLISH`. */
  shard: number;
}

async function busStats(port: number): Promise<BusStats> {
  const info = await redisCli(port, 'CLUSTER', 'INFO');
  const field = (name: string) => Number(info.match(new RegExp(`^cluster_stats_messages_${name}_received:(\\d+)`, 'm'))?.[1] ?? 0);
  return { publish: field('publish'), shard: field('publishshard') };
}

// Connections to the private clusters, closed before their cluster stops.
const open: RedisConnection[] = [];
async function closeConnections(): Promise<void> {
  await Promise.all(open.splice(0).map((c) => c.close()));
}

/** Two app instances on `cluster`, the same prefix. */
async function instances(cluster: RedisCluster): Promise<[RedisConnection, RedisConnection]> {
  const prefix = uniquePrefix('shards');
  const make = async () => {
    const connection = RedisConnection.from(await rawClient({ clusterNodes: cluster.seeds }), { prefix });
    open.push(connection);
    await connection.shardedPubSub();
    return connection;
  };
  return [await make(), await make()];
}

/**
 * `SETS` cache writes in one instance while the other listens on every invalidation channel;
 * resolves the pub/sub messages each node received over the cluster bus meanwhile ("P1".."P3"
 * primaries, "R1".."R3" their replicas).
 */
async function measureInvalidations(cluster: RedisCluster, writerSide: RedisConnection, listenerSide: RedisConnection) {
  const layout = new CacheLayout(writerSide.keys('cache'), 64);
  const sub = await listenerSide.subscriber();
  let delivered = 0;
  await Promise.all(layout.channels.map((c) => sub.subscribe(c, () => delivered++)));
  const cache = new Cache({ connection: writerSide, ttlMs: 60_000 });
  const labels = new Map<number, string>();
  let i = 0;
  for (const n of cluster.nodes) {
    if ((await redisCli(n.port, 'ROLE')).startsWith('master')) {
      i++;
      labels.set(n.port, `P${i}`);
      for (const r of await cluster.replicasOf(n)) labels.set(r.port, `R${i}`);
    }
  }
  const before = await Promise.all(cluster.nodes.map((n) => busStats(n.port)));
  for (let k = 0; k < SETS; k++) await cache.set(`provider:${k}`, k);
  await vi.waitFor(() => expect(delivered).toBe(SETS), { timeout: 10_000 });
  // Replicas count a shard message when their primary's bus link delivers it: give it a moment.
  await new Promise((r) => setTimeout(r, 300));
  const after = await Promise.all(cluster.nodes.map((n) => busStats(n.port)));
  const perNode = cluster.nodes
    .map((n, j) => {
      const b = before[j] as BusStats;
      const a = after[j] as BusStats;
      return { node: labels.get(n.port) ?? String(n.port), publish: a.publish - b.publish, shard: a.shard - b.shard };
    })
    .sort((x, y) => x.node.localeCompare(y.node));
  if (process.env.RP_REPORT) console.log(`${SETS} cache writes, ${driver}:`, JSON.stringify(perNode));
  return perNode;
}

/**
 * 3 primaries with a replica each, started before the tests of the enclosing `describe` (with
 * `extraArgs` for every node) and stopped after them, connections first.
 */
function privateCluster(extraArgs: string[]): { current: RedisCluster } {
  const holder = {} as { current: RedisCluster };
  beforeAll(async () => {
    holder.current = await startCluster(3, { replicas: 1, extraArgs });
  });
  afterAll(async () => {
    await closeConnections();
    await holder.current?.stop();
  });
  return holder;
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}

describe.runIf(target === 'cluster')(`sharded pub/sub on a cluster with replicas via ${driver}`, () => {
  describe('servers with SPUBLISH (Redis 7.0+, Valkey)', () => {
    const cluster = privateCluster([]);

    it('invalidations stay in the shard of their bucket: each message reaches one replica, no other node', async () => {
      const [writerSide, listenerSide] = await instances(cluster.current);
      expect(await writerSide.shardedPubSub()).toBe(true);
      const perNode = await measureInvalidations(cluster.current, writerSide, listenerSide);
      // Every message goes from its primary to that primary's replica, once; no other node hears of it.
      expect(sum(perNode, (n) => n.shard)).toBe(SETS);
      expect(sum(perNode, (n) => n.publish)).toBe(0);
      for (const n of perNode) if (n.node.startsWith('P')) expect(n.shard, n.node).toBe(0);
    });
  });

  describe('servers without SPUBLISH (renamed away, as on Redis 6.x): the fallback', () => {
    const cluster = privateCluster(['SPUBLISH', 'SSUBSCRIBE', 'SUNSUBSCRIBE'].flatMap((c) => ['--rename-command', c, '']));

    it('detects it once and uses PUBLISH / SUBSCRIBE: every message crosses the bus to every other node', async () => {
      const [writerSide, listenerSide] = await instances(cluster.current);
      expect(await writerSide.shardedPubSub()).toBe(false);
      expect((await listenerSide.subscriber()).sharded).toBe(false);
      const perNode = await measureInvalidations(cluster.current, writerSide, listenerSide);
      // Each node hears every message but the ones it published itself: 5 copies of each.
      expect(sum(perNode, (n) => n.publish)).toBe(SETS * 5);
      expect(sum(perNode, (n) => n.shard)).toBe(0);
      for (const n of perNode) expect(n.publish, n.node).toBeGreaterThanOrEqual(n.node.startsWith('R') ? SETS : 1);
    });

    it('the L1 tier and lock wake-ups work as before', async () => {
      const [a, b] = await instances(cluster.current);
      const reader = new Cache({ connection: a, ttlMs: 60_000, l1: { ttlMs: 60_000 } });
      const writer = new Cache({ connection: b, ttlMs: 60_000 });
      await reader.ready();
      await writer.set('k', 'v1');
      await vi.waitFor(async () => {
        expect(await reader.get('k')).toBe('v1');
        expect(reader.stats().l1Hits).toBeGreaterThan(0);
      });
      await writer.set('k', 'v2');
      await vi.waitFor(async () => expect(await reader.get('k')).toBe('v2'), { timeout: 2000 });
      await reader.close();

      const options = { ttlMs: 30_000, waitMs: 20_000, pollMs: 15_000 };
      const holder = await new FencedLock({ connection: b, ...options }).acquire('fax');
      const waiting = new FencedLock({ connection: a, ...options }).acquire('fax');
      const queue = a.keys('lock').key('fax', 'queue');
      await vi.waitFor(async () => expect(await a.send(['ZCARD', queue], queue)).toBe(1));
      const started = Date.now();
      await holder.release();
      await (await waiting).release();
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('a script asked to SPUBLISH on a server that lacks it publishes with PUBLISH instead of failing after its writes', async () => {
      const [a] = await instances(cluster.current);
      const channel = `{${uniquePrefix('ch')}}`;
      const got: string[] = [];
      await (await a.subscriber()).subscribe(channel, (m) => got.push(m));
      expect(await a.run(publishScript, [channel], ['1', 'hello'])).toBe(1);
      await vi.waitFor(() => expect(got).toEqual(['hello']));
    });
  });
});

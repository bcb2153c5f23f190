// A node-redis cluster created with `useReplicas: true` sends the commands its caller marks
// read-only to replicas too. The library marks none: a script or a read right after a write must
// see that write, so every command and MULTI goes to the primary of its slot. Checked with the
// replicas of a key's primary frozen, where a command sent to one would hang. A Redis Cluster
// with one replica per primary, started for this file; ioredis picks replicas by command name
// itself (`scaleReads`), so this runs on the node-redis cluster project only.
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startCluster } from '../../scripts/lib/redis-cluster.js';
import { type RedisServer, redisCli, waitUntil } from '../../scripts/lib/redis-servers.js';
import { RedisConnection } from '../../src/index.js';
import { driver, target, uniquePrefix } from '../harness/redis.js';

describe.runIf(target === 'cluster' && driver === 'node-redis')('a node-redis cluster reading from replicas', () => {
  let cluster: RedisCluster;
  let client: ReturnType<typeof createCluster> | undefined;
  let frozen: RedisServer[] = [];
  beforeAll(async () => {
    cluster = await startCluster(3, { replicas: 1 });
    // The client learns a slot's replicas from the seed's CLUSTER SLOTS when it connects.
    const seed = Number(cluster.seeds[0]?.split(':')[1]);
    await waitUntil('the seed lists a replica of every primary', 30_000, async () => {
      const lines = (await redisCli(seed, 'CLUSTER', 'SLOTS')).split('\n');
      return cluster.nodes.every((node) => lines.includes(String(node.port)));
    });
    client = createCluster({ rootNodes: cluster.seeds.map((s) => ({ url: `redis://${s}` })), useReplicas: true });
    client.on('error', () => {});
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    for (const replica of frozen) replica.resume();
    client?.destroy();
    await cluster?.stop();
  });

  it('sends every command, pipeline and MULTI to the primary of its slot', async () => {
    const connection = RedisConnection.from(client as object, { prefix: uniquePrefix(), commandTimeoutMs: 1000 });
    const key = connection.keys('replica-reads').key('n');
    const primary = await cluster.primaryOf(key);
    expect(await connection.send(['SET', key, '0'], key)).toBe('OK');
    frozen = await cluster.replicasOf(primary);
    expect(frozen).toHaveLength(1);
    await cluster.cutReplication(primary);
    // node-redis takes a slot's nodes in turn for read-only commands: four calls reach both.
    for (let i = 1; i <= 4; i++) {
      expect(await connection.send(['INCR', key], key)).toBe(3 * i - 2);
      expect(await connection.send(['GET', key], key)).toBe(String(3 * i - 2));
      expect(await connection.pipeline([['INCR', key]], { routeKey: key })).toEqual([3 * i - 1]);
      expect(await connection.pipeline([['INCR', key]], { atomic: true, routeKey: key })).toEqual([3 * i]);
    }
  });
});

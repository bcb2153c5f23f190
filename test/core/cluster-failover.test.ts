// A Redis Cluster with one replica per primary, started for this file: the harness finds a
// key's primary, SIGKILLs it and waits until its replica took over; a RedisConnection of the
// project's driver gives typed errors only meanwhile, and (ioredis) works again after.
// Runs on the cluster projects.
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startCluster } from '../../scripts/lib/redis-cluster.js';
import { redisCli, sleep } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection, RedisUnavailableError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { driver, target, uniquePrefix } from '../harness/redis.js';

const incrBy = defineScript<[amount: number]>('test/failover-incrby', "return redis.call('INCRBY', KEYS[1], ARGV[1])", { keys: 1 });
const typed = (e: unknown) => e instanceof RedisUnavailableError || e instanceof CommandTimeoutError;

async function clusterConnection(cluster: RedisCluster): Promise<{ connection: RedisConnection; close(): Promise<void> }> {
  const options = { prefix: uniquePrefix(), commandTimeoutMs: 500 };
  if (driver === 'ioredis') {
    const client = new Cluster(cluster.seeds.map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })));
    client.on('error', () => {});
    return { connection: RedisConnection.from(client, options), close: async () => client.disconnect() };
  }
  const client = createCluster({ rootNodes: cluster.seeds.map((s) => ({ url: `redis://${s}` })) });
  client.on('error', () => {});
  await client.connect();
  return { connection: RedisConnection.from(client, options), close: async () => void client.destroy() };
}

async function operations(connection: RedisConnection, key: string): Promise<void> {
  expect(Number(await connection.run(incrBy, [key], [1]))).toBeGreaterThan(0);
  const [set, got] = await connection.pipeline(
    [
      ['SET', `${key}:copy`, 'v'],
      ['GET', `${key}:copy`],
    ],
    { atomic: true, routeKey: key },
  );
  expect([set, got]).toEqual(['OK', 'v']);
}

describe.skipIf(target !== 'cluster')(`Cluster failover via ${driver}`, () => {
  let cluster: RedisCluster;
  let subject: { connection: RedisConnection; close(): Promise<void> } | undefined;
  let key = '';
  beforeAll(async () => {
    cluster = await startCluster(3, { replicas: 1 });
    subject = await clusterConnection(cluster);
    key = subject.connection.keys('failover-test').key('t', 'n');
  });
  afterAll(async () => {
    await subject?.close();
    await cluster?.stop();
  });

  it('the replica of a killed primary takes over its slots; meanwhile every failure is typed', async () => {
    const { connection } = subject as NonNullable<typeof subject>;
    await operations(connection, key);
    const primary = await cluster.primaryOf(key);
    const [replica] = await cluster.replicasOf(primary);
    expect(replica).toBeDefined();
    // The harness's answer is the node that serves the key: it answers without a redirection.
    expect(await redisCli(primary.port, 'GET', `${key}:copy`)).toBe('v\n');

    // Operations keep running while the primary dies and its replica takes over.
    await primary.kill();
    let done = false;
    const failover = cluster.waitForFailover(primary).finally(() => {
      done = true;
    });
    const errors: unknown[] = [];
    while (!done) {
      await operations(connection, key).catch((err) => errors.push(err));
      await sleep(50);
    }
    const promoted = await failover;
    expect(promoted).toBe(replica);
    expect(await cluster.primaryOf(key)).toBe(promoted);
    expect(errors.length, 'the outage was noticed').toBeGreaterThan(0);
    expect(errors.filter((e) => !typed(e)).map(String)).toEqual([]);
  }, 60_000);

  // node-redis 5 refreshes its slot map only on MOVED/ASK replies, which a dead node never
  // sends: commands for its slots wait on the dead address until it comes back
  // (redis/node-redis#2806). Recovering from that is the client's (or a later module's) job.
  it.skipIf(driver === 'node-redis')(
    'the connection works again on the promoted replica, with typed errors only until then',
    async () => {
      const { connection } = subject as NonNullable<typeof subject>;
      const errors: unknown[] = [];
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await operations(connection, key);
          break;
        } catch (err) {
          errors.push(err);
          if (Date.now() > deadline) throw err;
          await sleep(100);
        }
      }
      expect(errors.filter((e) => !typed(e)).map(String)).toEqual([]);
    },
    60_000,
  );
});

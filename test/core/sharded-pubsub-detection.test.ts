// How a cluster connection decides on sharded pub/sub when it cannot simply ask: a server that
// refuses COMMAND (an ACL, a renamed command) answers no, so messages still flow with PUBLISH;
// a connection that fails is not taken for a no.
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redisCli } from '../../scripts/lib/redis-servers.js';
import { RedisConnection, RedisUnavailableError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, rawClient, target, topology, uniquePrefix } from '../harness/redis.js';

const USER = 'rp-no-command';
const PASSWORD = 'secret';

/** A raw cluster client of the project's driver, logged in as `USER`. */
async function clientAsUser(): Promise<{ client: object; close: () => Promise<unknown> }> {
  const nodes = topology().clusterNodes;
  if (driver === 'ioredis') {
    const c = new Cluster(
      nodes.map((n) => ({ host: n.split(':')[0], port: Number(n.split(':')[1]) })),
      { redisOptions: { username: USER, password: PASSWORD } },
    );
    c.on('error', () => {});
    return { client: c, close: () => c.quit() };
  }
  const c = createCluster({ rootNodes: nodes.map((n) => ({ url: `redis://${n}` })), defaults: { username: USER, password: PASSWORD } });
  c.on('error', () => {});
  await c.connect();
  return { client: c, close: () => c.close() };
}

describe.runIf(target === 'cluster')(`sharded pub/sub detection on a cluster via ${driver}`, () => {
  const ports = () => topology().clusterNodes.map((n) => Number(n.split(':').pop()));
  beforeAll(async () => {
    for (const port of ports()) await redisCli(port, 'ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all', '-command');
  });
  afterAll(async () => {
    for (const port of ports()) await redisCli(port, 'ACL', 'DELUSER', USER);
  });

  it('takes COMMAND refused as no: publishes with PUBLISH, and subscribers get the messages', async () => {
    const { client, close } = await clientAsUser();
    try {
      const connection = RedisConnection.from(client, { prefix: uniquePrefix('acl') });
      expect(await connection.shardedPubSub()).toBe(false);
      const sub = await connection.subscriber();
      expect(sub.sharded).toBe(false);
      const channel = connection.keys('test').key('refills');
      const got: string[] = [];
      await sub.subscribe(channel, (m) => got.push(m));
      const { byCommand } = await countCommands(connection, () => connection.publish(channel, 'ready'));
      expect(byCommand).toEqual({ publish: 1 });
      await vi.waitFor(() => expect(got).toEqual(['ready']));
      await connection.close();
    } finally {
      await close();
    }
  });

  // A closed node-redis cluster client fails with TypeErrors from its cleared internals, not
  // with a connection error: only ioredis's closed client stands for a failed connection here.
  it.runIf(driver === 'ioredis')('rejects typed when the connection fails instead of deciding no', async () => {
    const client = (await rawClient()) as Cluster;
    const connection = RedisConnection.from(client);
    await client.quit();
    await expect(connection.shardedPubSub()).rejects.toBeInstanceOf(RedisUnavailableError);
  });
});

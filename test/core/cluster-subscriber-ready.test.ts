// A node-redis cluster reports no event when a node's pub/sub connection is back, so the
// subscriber waits until each of them is ready again before onReconnect. Held down here: the
// node refuses new connections (maxclients) while its pub/sub connection is killed, so the
// connection is lost until that is lifted. Until then onReconnect must not come, and once it
// comes every channel has its subscriber again. A Redis Cluster started for this file.
import { createCluster } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startCluster } from '../../scripts/lib/redis-cluster.js';
import { sleep } from '../../scripts/lib/redis-servers.js';
import { RedisConnection } from '../../src/index.js';
import { driver, target, uniquePrefix } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';

describe.runIf(target === 'cluster' && driver === 'node-redis')('node-redis cluster subscriber readiness', () => {
  let cluster: RedisCluster;
  let client: ReturnType<typeof createCluster> | undefined;
  beforeAll(async () => {
    cluster = await startCluster(3);
    const socket = { reconnectStrategy: () => 200 };
    client = createCluster({ rootNodes: cluster.seeds.map((s) => ({ url: `redis://${s}` })), defaults: { socket } });
    client.on('error', () => {});
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await cluster?.stop();
  });

  it('onReconnect waits for a node whose pub/sub connection cannot reconnect yet; then every channel has its subscriber', async () => {
    const connection = RedisConnection.from(client as object, { prefix: uniquePrefix() });
    expect(await connection.shardedPubSub()).toBe(true);
    const sub = await connection.subscriber();
    const channels = ['a', 'b', 'c', 'd', 'e', 'f'].map((t) => connection.keys('test').key(`{${t}}`, 'ready'));
    for (const c of channels) await sub.subscribe(c, () => {});
    const events: string[] = [];
    const receivers: Promise<number[]>[] = [];
    sub.onDisconnect?.(() => events.push('lost'));
    sub.onReconnect?.(() => {
      events.push('back');
      receivers.push(Promise.all(channels.map((c) => connection.publish(c, 'probe'))));
    });
    // The node of the first channel, through the connection's own (already open) client of it.
    const port = (await cluster.primaryOf(channels[0] as string)).port;
    const primaries = await connection.client.primaries();
    const ports = await Promise.all(
      primaries.map(async (n) => Number(/^tcp_port:(\d+)/m.exec(String(await n.send(['INFO', 'server'])))?.[1])),
    );
    const node = primaries[ports.indexOf(port)];
    if (!node) throw new Error(`no client of the node on port ${port}`);
    await node.send(['CONFIG', 'SET', 'maxclients', '1']);
    try {
      await node.send(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      await waitFor(() => events.includes('lost'), 5000, 'the loss');
      await sleep(1000);
      expect(events).toEqual(['lost']);
    } finally {
      await node.send(['CONFIG', 'SET', 'maxclients', '10000']);
    }
    await waitFor(() => events.includes('back'), 10_000, 'onReconnect');
    for (const counts of await Promise.all(receivers)) expect(counts).toEqual(channels.map(() => 1));
    await connection.close();
  });
});

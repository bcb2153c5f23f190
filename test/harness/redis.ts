// What tests use to reach the project's Redis: raw clients on the selected target and
// driver, connections with a unique key prefix, and cleanup of everything opened.
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, inject } from 'vitest';
import { type RedisClient, RedisConnection, type RedisConnectionOptions } from '../../src/index.js';

export type Target = 'standalone' | 'cluster';
export type Driver = 'ioredis' | 'node-redis';

export const target: Target = process.env.RP_TARGET === 'cluster' ? 'cluster' : 'standalone';
export const driver: Driver = process.env.RP_DRIVER === 'node-redis' ? 'node-redis' : 'ioredis';

const opened: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close().catch(() => {})));
});

/** The deployments started by the global setup. */
export function topology() {
  return inject('redis');
}

/**
 * A fresh raw client (ioredis or node-redis, standalone or cluster; another server's `url` or
 * `clusterNodes` than the project's) closed after the file's tests.
 * `reconnectDelayMs` makes it (and its duplicates, pub/sub connections included) wait that long
 * before each reconnect, to hold a killed connection down (on ioredis only: node-redis tries a
 * dropped connection again at once and waits only after a failed attempt; an ioredis cluster's
 * nodes take no retry strategy, and its sharded subscribers reconnect at once).
 */
export async function rawClient(
  which: { target?: Target; driver?: Driver; url?: string; clusterNodes?: string[]; reconnectDelayMs?: number } = {},
): Promise<object> {
  const t = which.target ?? target;
  const d = which.driver ?? driver;
  const topo = topology();
  const url = which.url ?? topo.standaloneUrl;
  const clusterNodes = which.clusterNodes ?? topo.clusterNodes;
  const delay = which.reconnectDelayMs;
  const retry = delay === undefined ? {} : { retryStrategy: () => delay };
  const socket = delay === undefined ? {} : { socket: { reconnectStrategy: () => delay } };
  if (d === 'ioredis') {
    if (t === 'cluster') {
      const c = new Cluster(clusterNodes.map((n) => ({ host: n.split(':')[0], port: Number(n.split(':')[1]) })));
      // Commands report connection trouble; a cluster a test stopped must not log refresh errors.
      c.on('error', () => {});
      opened.push({ close: () => c.quit() });
      return c;
    }
    const c = new Redis(url, { lazyConnect: false, ...retry });
    // Commands report connection trouble; a server a test stopped must not log reconnect errors.
    c.on('error', () => {});
    opened.push({ close: () => c.quit() });
    return c;
  }
  if (t === 'cluster') {
    const c = createCluster({ rootNodes: clusterNodes.map((n) => ({ url: `redis://${n}` })), defaults: socket });
    c.on('error', () => {});
    await c.connect();
    opened.push({ close: () => c.close() });
    return c;
  }
  const c = createClient({ url, ...socket });
  c.on('error', () => {});
  await c.connect();
  opened.push({ close: () => c.close() });
  return c;
}

/** A unique key prefix, so tests never see each other's keys. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

/** A connection on the project's target and driver, with a unique prefix (see {@link rawClient} for `reconnectDelayMs`). */
export async function testConnection(options: RedisConnectionOptions & { reconnectDelayMs?: number } = {}): Promise<RedisConnection> {
  const { reconnectDelayMs, ...rest } = options;
  const connection = RedisConnection.from(await rawClient({ reconnectDelayMs }), { prefix: uniquePrefix(), ...rest });
  opened.push({ close: () => connection.close() });
  // Open every node connection now: ioredis' per-node ready check (INFO) must not land inside a
  // command count; nor may the connection's one-time pub/sub check (COMMAND INFO on a cluster).
  await Promise.all((await connection.client.primaries()).map((node) => node.send(['PING'])));
  await connection.shardedPubSub();
  return connection;
}

/** Registers something to close after the file's tests. */
export function closeAfterAll(resource: { close(): Promise<unknown> }): void {
  opened.push(resource);
}

/**
 * Kills every pub/sub connection on every primary of `client` (`CLIENT KILL TYPE pubsub`), as a
 * network blip or the server's output-buffer limit would: their clients reconnect by themselves.
 * Test files run one at a time, so only the calling test's subscribers are hit.
 */
export async function killPubSubConnections(client: RedisClient): Promise<void> {
  for (const node of await client.primaries()) await node.send(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
}

// What tests use to reach the project's Redis: raw clients on the selected target and
// driver, connections with a unique key prefix, and cleanup of everything opened.
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { afterAll, inject } from 'vitest';
import { RedisConnection, type RedisConnectionOptions } from '../../src/index.js';

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

/** A fresh raw client (ioredis or node-redis, standalone or cluster) closed after the file's tests. */
export async function rawClient(which: { target?: Target; driver?: Driver; url?: string } = {}): Promise<object> {
  const t = which.target ?? target;
  const d = which.driver ?? driver;
  const topo = topology();
  const url = which.url ?? topo.standaloneUrl;
  if (d === 'ioredis') {
    if (t === 'cluster') {
      const c = new Cluster(topo.clusterNodes.map((n) => ({ host: n.split(':')[0], port: Number(n.split(':')[1]) })));
      opened.push({ close: () => c.quit() });
      return c;
    }
    const c = new Redis(url, { lazyConnect: false });
    // Commands report connection trouble; a server a test stopped must not log reconnect errors.
    c.on('error', () => {});
    opened.push({ close: () => c.quit() });
    return c;
  }
  if (t === 'cluster') {
    const c = createCluster({ rootNodes: topo.clusterNodes.map((n) => ({ url: `redis://${n}` })) });
    c.on('error', () => {});
    await c.connect();
    opened.push({ close: () => c.close() });
    return c;
  }
  const c = createClient({ url });
  c.on('error', () => {});
  await c.connect();
  opened.push({ close: () => c.close() });
  return c;
}

/** A unique key prefix, so tests never see each other's keys. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

/** A connection on the project's target and driver, with a unique prefix. */
export async function testConnection(options: RedisConnectionOptions = {}): Promise<RedisConnection> {
  const connection = RedisConnection.from(await rawClient(), { prefix: uniquePrefix(), ...options });
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

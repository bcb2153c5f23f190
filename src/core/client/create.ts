import { ValidationError } from '../errors.js';
import { IoredisClient } from './ioredis-adapter.js';
import { NodeRedisClient } from './node-redis-adapter.js';
import type { RedisClient } from './types.js';

/** How createClient builds a client the library will own. */
export interface CreateClientOptions {
  /** A `redis://` or `rediss://` URL of a standalone server. */
  url?: string;
  /** Seed nodes of a Redis Cluster as `host:port` strings (instead of `url`). */
  clusterNodes?: string[];
  /** Which installed client library to use. Default: `ioredis` if installed, else `redis` (node-redis). */
  driver?: 'ioredis' | 'node-redis';
}

/** Creates and connects a client from a URL or cluster seed nodes with whichever peer library is installed. */
export async function createClient(options: CreateClientOptions): Promise<RedisClient> {
  if (!options.url && !options.clusterNodes?.length) throw new ValidationError('url', 'a url or clusterNodes is required');
  const driver = options.driver ?? ((await canImport('ioredis')) ? 'ioredis' : 'node-redis');
  if (driver === 'ioredis') {
    type Emitter = { on(e: string, f: () => void): void };
    const mod = (await import('ioredis')) as unknown as { Redis: new (url: string) => Emitter; Cluster: new (nodes: object[]) => Emitter };
    const client = options.clusterNodes?.length
      ? new mod.Cluster(options.clusterNodes.map(parseHostPort))
      : new mod.Redis(options.url as string);
    // Commands report connection trouble as typed errors; without a listener ioredis also logs every reconnect failure.
    client.on('error', () => {});
    return new IoredisClient(client as never);
  }
  const mod = (await import('redis')) as unknown as {
    createClient(o: object): { connect(): Promise<unknown>; on(e: string, f: () => void): void };
    createCluster(o: object): { connect(): Promise<unknown>; on(e: string, f: () => void): void };
  };
  const client = options.clusterNodes?.length
    ? mod.createCluster({ rootNodes: options.clusterNodes.map((n) => ({ url: `redis://${n}` })) })
    : mod.createClient({ url: options.url });
  // Without a listener node-redis throws connection errors asynchronously; commands still report them.
  client.on('error', () => {});
  await client.connect();
  return new NodeRedisClient(client);
}

async function canImport(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

function parseHostPort(node: string): { host: string; port: number } {
  const i = node.lastIndexOf(':');
  return { host: node.slice(0, i), port: Number(node.slice(i + 1)) };
}

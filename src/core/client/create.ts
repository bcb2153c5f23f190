import { ValidationError } from '../errors.js';
import { IoredisClient } from './ioredis-adapter.js';
import { NodeRedisClient } from './node-redis-adapter.js';
import { type NodeRedisSentinel, NodeRedisSentinelClient } from './node-redis-sentinel-adapter.js';
import type { RedisClient } from './types.js';

/** How createClient builds a client the library will own. Give one of `url`, `clusterNodes` or `sentinels`. */
export interface CreateClientOptions {
  /** A `redis://` or `rediss://` URL of a standalone server. */
  url?: string;
  /** Seed nodes of a Redis Cluster as `host:port` strings (instead of `url`). */
  clusterNodes?: string[];
  /**
   * Sentinels watching a primary and its replicas (instead of `url`), as `{ host, port }`;
   * with `name`. Commands go to the primary the Sentinels name, and follow a failover.
   */
  sentinels?: {
    /** A Sentinel's host name or address. */
    host: string;
    /** Its port (Sentinel's default is 26379). */
    port: number;
  }[];
  /** The name the Sentinels monitor the primary under (`sentinel monitor <name> ...`); required with `sentinels`. */
  name?: string;
  /** Which installed client library to use. Default: `ioredis` if installed, else `redis` (node-redis). */
  driver?: 'ioredis' | 'node-redis';
}

interface Emitter {
  on(e: string, f: () => void): void;
}
interface Connectable extends Emitter {
  connect(): Promise<unknown>;
}

/** Creates and connects a client from a URL, cluster seed nodes or Sentinels with whichever peer library is installed. */
export async function createClient(options: CreateClientOptions): Promise<RedisClient> {
  const sentinels = options.sentinels?.length ? options.sentinels : undefined;
  if (!options.url && !options.clusterNodes?.length && !sentinels) {
    throw new ValidationError('url', 'a url, clusterNodes or sentinels is required');
  }
  if (sentinels && !options.name) throw new ValidationError('name', 'the monitored primary name is required with sentinels');
  const driver = options.driver ?? ((await canImport('ioredis')) ? 'ioredis' : 'node-redis');
  if (driver === 'ioredis') {
    const mod = (await import('ioredis')) as unknown as { Redis: new (o: unknown) => Emitter; Cluster: new (nodes: object[]) => Emitter };
    let client: Emitter;
    if (sentinels) client = new mod.Redis({ sentinels, name: options.name });
    else if (options.clusterNodes?.length) client = new mod.Cluster(options.clusterNodes.map(parseHostPort));
    else client = new mod.Redis(options.url as string);
    // Commands report connection trouble as typed errors; without a listener ioredis also logs every reconnect failure.
    client.on('error', () => {});
    return new IoredisClient(client as never);
  }
  const mod = (await import('redis')) as unknown as {
    createClient(o: object): Connectable;
    createCluster(o: object): Connectable;
    createSentinel(o: object): Connectable;
  };
  const connected = async (client: Connectable) => {
    // Without a listener node-redis throws connection errors asynchronously; commands still report them.
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  if (sentinels) {
    // node-redis cannot copy a sentinel's options, so duplicates are opened from them here.
    const open = async () =>
      (await connected(mod.createSentinel({ name: options.name, sentinelRootNodes: sentinels }))) as unknown as NodeRedisSentinel;
    return new NodeRedisSentinelClient(await open(), open);
  }
  const client = options.clusterNodes?.length
    ? mod.createCluster({ rootNodes: options.clusterNodes.map((n) => ({ url: `redis://${n}` })) })
    : mod.createClient({ url: options.url });
  return new NodeRedisClient(await connected(client));
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

// A user's own Sentinel-backed client of the project's driver, as handed to RedisConnection.from().
import { Redis } from 'ioredis';
import { createSentinel } from 'redis';
import type { SentinelTopology } from '../../scripts/lib/redis-sentinel.js';
import { settlesWithin } from '../../src/core/time-limit.js';
import { driver } from './redis.js';

/** A client of `topo`'s primary and a `close` that ends it even while the primary is down. */
export async function sentinelUserClient(topo: SentinelTopology): Promise<{ client: object; close(): Promise<void> }> {
  if (driver === 'ioredis') {
    const client = new Redis({ sentinels: topo.sentinelAddresses, name: topo.name });
    client.on('error', () => {});
    return { client, close: async () => client.disconnect() };
  }
  // One primary client for the shared commands, one for the blocking reads of duplicates.
  const client = createSentinel({ name: topo.name, sentinelRootNodes: topo.sentinelAddresses, masterPoolSize: 2 });
  client.on('error', () => {});
  await client.connect();
  const close = async () => {
    if (!(await settlesWithin(client.close(), 1000))) await client.destroy();
  };
  return { client, close };
}

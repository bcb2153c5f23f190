// A connection to a private redis-server a test may stop or freeze, on the project's driver,
// reconnecting quickly so a restarted server is usable again.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisServer } from '../../scripts/lib/redis-servers.js';
import { RedisConnection } from '../../src/index.js';
import { driver } from '../harness/redis.js';

export async function privateConnection(server: RedisServer, commandTimeoutMs: number) {
  if (driver === 'ioredis') {
    const client = new Redis(server.url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
    client.on('error', () => {});
    return { connection: RedisConnection.from(client, { commandTimeoutMs, prefix: 'p' }), close: () => client.disconnect() };
  }
  const client = createClient({ url: server.url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  await client.connect();
  return { connection: RedisConnection.from(client, { commandTimeoutMs, prefix: 'p' }), close: () => void client.destroy() };
}

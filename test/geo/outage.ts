// Shared by the geo, feed and streaks tests: runs one operation against a private
// server that is frozen and then stopped, and checks it fails fast with a typed error.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { expect } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection, RedisUnavailableError } from '../../src/index.js';
import { driver } from '../harness/redis.js';

const TIMEOUT_MS = 300;

async function privateConnection(url: string) {
  const options = { commandTimeoutMs: TIMEOUT_MS };
  if (driver === 'ioredis') {
    const client = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    return { connection: RedisConnection.from(client, options), close: () => client.disconnect() };
  }
  const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  await client.connect();
  return { connection: RedisConnection.from(client, options), close: () => client.destroy() };
}

async function failsFast(op: () => Promise<unknown>, typed: (e: unknown) => boolean): Promise<void> {
  const started = Date.now();
  const error = await op().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error !== undefined && typed(error), String(error)).toBe(true);
  // Generous: the bound is the command timeout, the margin is for a loaded machine.
  expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
}

/**
 * `op` works on a live server, rejects with CommandTimeoutError while the server is
 * frozen, and with RedisUnavailableError (or a timeout) once it is stopped.
 */
export async function expectTypedOutage(op: (connection: RedisConnection) => Promise<unknown>): Promise<void> {
  const server = await startRedis();
  const { connection, close } = await privateConnection(server.url);
  try {
    await op(connection);
    server.pause();
    await failsFast(
      () => op(connection),
      (e) => e instanceof CommandTimeoutError,
    );
    server.resume();
    await server.stop();
    await failsFast(
      () => op(connection),
      (e) => e instanceof RedisUnavailableError || e instanceof CommandTimeoutError,
    );
  } finally {
    close();
    await server.stop();
  }
}

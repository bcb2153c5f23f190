// Private redis-server processes a test may stop, freeze (SIGSTOP) and restart without
// disturbing other tests, with a client on the project's driver that reconnects quickly.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, expect } from 'vitest';
import { type RedisServer, startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection, type RedisConnectionOptions, RedisUnavailableError } from '../../src/index.js';
import { driver } from './redis.js';

/**
 * Private servers of one suite: the returned function starts one (options as `startRedis`),
 * and every server it started is stopped after the suite.
 */
export function privateServers(): (...options: Parameters<typeof startRedis>) => Promise<RedisServer> {
  const servers: RedisServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  return async (...options) => {
    const server = await startRedis(...options);
    servers.push(server);
    return server;
  };
}

/** A connection to `server` (or a URL) that retries every 50 ms, so a restarted server is usable again at once. */
export async function privateConnection(
  server: RedisServer | string,
  options: RedisConnectionOptions = {},
): Promise<{ connection: RedisConnection; close: () => void }> {
  const url = typeof server === 'string' ? server : server.url;
  if (driver === 'ioredis') {
    const client = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
    client.on('error', () => {});
    return { connection: RedisConnection.from(client, options), close: () => client.disconnect() };
  }
  const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  await client.connect();
  return { connection: RedisConnection.from(client, options), close: () => void client.destroy() };
}

/**
 * A connection to `server` as a user that may use no pub/sub channel (every `SUBSCRIBE` is
 * refused), set up through `admin`; `allowChannels()` lets it use all of them.
 */
export async function connectionWithoutChannels(
  server: RedisServer,
  admin: RedisConnection,
): Promise<{ connection: RedisConnection; close: () => void; allowChannels: () => Promise<void> }> {
  await admin.send(['ACL', 'SETUSER', 'no-channels', 'on', '>secret', '~*', '+@all', 'resetchannels']);
  const side = await privateConnection(`redis://no-channels:secret@127.0.0.1:${server.port}`);
  const allowChannels = async () => {
    await admin.send(['ACL', 'SETUSER', 'no-channels', 'allchannels']);
  };
  return { ...side, allowChannels };
}

const OUTAGE_TIMEOUT_MS = 300;

async function failsFast(op: () => Promise<unknown>, typed: (e: unknown) => boolean): Promise<void> {
  const started = Date.now();
  const error = await op().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error !== undefined && typed(error), String(error)).toBe(true);
  // Generous: the bound is the command timeout, the margin is for a loaded machine.
  expect(Date.now() - started).toBeLessThan(OUTAGE_TIMEOUT_MS + 2000);
}

/**
 * `op` works on a live private server, rejects with CommandTimeoutError while the
 * server is frozen, and with RedisUnavailableError (or a timeout) once it is stopped.
 */
export async function expectTypedOutage(op: (connection: RedisConnection) => Promise<unknown>): Promise<void> {
  const server = await startRedis();
  const { connection, close } = await privateConnection(server, { commandTimeoutMs: OUTAGE_TIMEOUT_MS });
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

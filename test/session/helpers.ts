// Shared setup of the session tests: a store on the project's target and driver, and raw
// access to the keys it writes (for TTL checks and the "no raw token in Redis" scan).
import type { RedisConnection } from '../../src/index.js';
import { SessionStore, type SessionStoreOptions } from '../../src/session/index.js';
import { testConnection } from '../harness/redis.js';

export async function newStore(options: Omit<SessionStoreOptions, 'connection'> = {}) {
  const connection = await testConnection();
  const sessions = new SessionStore({ connection, ...options });
  return { connection, sessions };
}

/** Key of the session hash behind `token` (tag and SHA-256 id, as the store builds it). */
export function sessionKey(connection: RedisConnection, token: string, id: string): string {
  return connection.keys('session').key(token.slice(0, 22), 's', id);
}

/** Key of the user's session index. */
export function indexKey(connection: RedisConnection, sessions: SessionStore, userId: string): string {
  return connection.keys('session').key(sessions.tagOf(userId), 'idx');
}

/** Milliseconds to live of `key` (-2 missing, -1 no TTL). */
export async function pttl(connection: RedisConnection, key: string): Promise<number> {
  return Number(await connection.send(['PTTL', key], key));
}

/** Every key under the connection's prefix with its full content, read with SCAN and type-specific reads. */
export async function dumpAll(connection: RedisConnection): Promise<{ key: string; content: string }[]> {
  const out: { key: string; content: string }[] = [];
  for await (const batch of connection.scan(`${connection.prefix}:*`)) {
    for (const key of batch) {
      const type = String(await connection.send(['TYPE', key], key));
      const read: Record<string, string[]> = {
        string: ['GET', key],
        hash: ['HGETALL', key],
        zset: ['ZRANGE', key, '0', '-1', 'WITHSCORES'],
        set: ['SMEMBERS', key],
        list: ['LRANGE', key, '0', '-1'],
      };
      const cmd = read[type];
      out.push({ key, content: cmd ? JSON.stringify(await connection.send(cmd, key)) : `<${type}>` });
    }
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `destroyAll` (any call that reads a user's index with `ZRANGE`, then writes) with
 * `sneak` run once right after that read: a deterministic login between the two. Resolves
 * what `sneak` resolved.
 */
export async function afterIndexRead<T>(
  connection: RedisConnection,
  sneak: () => Promise<T>,
  destroyAll: () => Promise<unknown>,
): Promise<T> {
  let sneaked: { value: T } | undefined;
  const send = connection.send.bind(connection);
  connection.send = (async (args, routeKey, options) => {
    const reply = await send(args, routeKey, options);
    if (args[0] === 'ZRANGE' && sneaked === undefined) sneaked = { value: await sneak() };
    return reply;
  }) as typeof connection.send;
  try {
    await destroyAll();
  } finally {
    connection.send = send;
  }
  if (!sneaked) throw new Error('the call never read the index');
  return sneaked.value;
}

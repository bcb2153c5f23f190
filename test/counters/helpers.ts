import { testConnection } from '../harness/redis.js';

/** A test connection whose node connections are all open, so ioredis' ready check (INFO) never lands inside a command count. */
export async function readyConnection() {
  const connection = await testConnection();
  await Promise.all((await connection.client.primaries()).map((node) => node.send(['PING'])));
  return connection;
}

/** The hash tag of a key. */
export const tagOf = (key: string) => key.match(/\{[^}]*\}/)?.[0];

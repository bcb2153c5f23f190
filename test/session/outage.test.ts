import { describe, expect, it } from 'vitest';
import type { RedisServer } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection, RedisUnavailableError } from '../../src/index.js';
import { SessionStore } from '../../src/session/index.js';
import { privateServers } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';

// A private server this file may stop and freeze, reached with the library's own client of the project's driver.
async function privateConnection(server: RedisServer, commandTimeoutMs: number) {
  const connection = await RedisConnection.connect({ url: server.url, driver }, { commandTimeoutMs });
  return { connection, close: () => connection.close().catch(() => {}) };
}

// Fail closed: when Redis cannot answer, get rejects with a typed error; it never
// returns a session it could not check, nor `null` (which an app would read as "logged out").
describe(`SessionStore when Redis is down via ${driver}`, () => {
  const startServer = privateServers();

  it('a frozen server: get and create reject with CommandTimeoutError within the timeout', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, 300);
    const sessions = new SessionStore({ connection });
    try {
      const { token } = await sessions.create('user-1', { a: 1 });
      server.pause();
      const started = Date.now();
      await expect(sessions.get(token)).rejects.toBeInstanceOf(CommandTimeoutError);
      await expect(sessions.create('user-1')).rejects.toBeInstanceOf(CommandTimeoutError);
      expect(Date.now() - started).toBeLessThan(2000);
      server.resume();
      expect((await sessions.get(token))?.data).toEqual({ a: 1 });
    } finally {
      server.resume();
      close();
    }
  });

  it('a stopped server: get rejects with a typed error within the timeout', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, 400);
    const sessions = new SessionStore({ connection });
    try {
      const { token } = await sessions.create('user-2');
      await server.stop();
      // Let the client notice the closed socket: this case is "Redis is down", not "dies mid-command".
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const err = await sessions.get(token).catch((e) => e);
      expect(err instanceof RedisUnavailableError || err instanceof CommandTimeoutError, `${err?.name}: ${err?.message}`).toBe(true);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      close();
    }
  });
});

// duplicate() on node-redis connects the copy before it resolves: while the server is down it
// gives up after its timeout with a CommandTimeoutError naming what it waited for, and the copy
// that connects after all once the server is back is closed, not left open. (An ioredis copy
// resolves at once and connects in the background: its user closes it.)
import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, RedisConnection } from '../../src/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';

describe.runIf(target === 'standalone' && driver === 'node-redis')(`duplicate() while the server is down via ${driver}`, () => {
  const startServer = privateServers();

  it('gives up after timeoutMs and closes the copy that connects later', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    try {
      await connection.send(['CLIENT', 'SETNAME', 'original']);
      await server.kill();
      const started = Date.now();
      const error = await connection.duplicate({ timeoutMs: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CommandTimeoutError);
      expect((error as CommandTimeoutError).message).toBe('Redis did not answer a new connection within 300 ms');
      expect((error as CommandTimeoutError).timeoutMs).toBe(300);
      expect(Date.now() - started).toBeLessThan(300 + 1000);
      await server.restart();
      // The original reconnects within 50 ms of the restart, and so would the copy.
      await waitFor(async () => (await connection.send(['PING']).catch(() => '')) === 'PONG');
      await new Promise((resolve) => setTimeout(resolve, 500));
      const probe = await RedisConnection.connect({ url: server.url, driver });
      try {
        const clients = String(await probe.send(['CLIENT', 'LIST']))
          .split('\n')
          .filter(Boolean);
        // The original and the probe: no copy of the original left connected.
        expect(clients).toHaveLength(2);
      } finally {
        await probe.close();
      }
    } finally {
      close();
    }
  });
});

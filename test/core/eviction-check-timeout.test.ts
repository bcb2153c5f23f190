// An eviction check the server does not answer times out naming the command it waited for.
import { afterEach, describe, expect, it } from 'vitest';
import { CommandTimeoutError } from '../../src/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';

// A private standalone server on the project's driver: one topology runs it.
describe.runIf(target === 'standalone')(`an eviction check that times out via ${driver}`, () => {
  const startServer = privateServers();
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  it('rejects with the command timeout naming INFO memory when the server does not answer', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 200, evictionCheck: 'off' });
    closers.push(close);
    server.pause();
    try {
      const error = await connection.checkEviction().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CommandTimeoutError);
      expect((error as Error).message).toBe('Redis did not answer INFO memory within 200 ms');
    } finally {
      server.resume();
    }
  });
});

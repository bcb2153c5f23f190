import { describe, expect, it } from 'vitest';
import { CommandTimeoutError } from '../../src/index.js';
import { defineScript, randomId, sleep } from '../../src/kit/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';

// Coalesced: per call, adds its amount to its key. A fresh source, so the server answers NOSCRIPT.
const add = defineScript<[n: number], number>(
  'test/reload-add',
  `-- ${randomId()}\nlocal function call(k, a, res) res[#res + 1] = redis.call('INCRBY', KEYS[k + 1], ARGV[a + 1]) end`,
  { keys: 1, coalesce: { replyLength: 1 }, parseReply: (reply) => Number((reply as unknown[])[0]) },
);

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`the EVAL after NOSCRIPT via ${driver}`, () => {
  const startServer = privateServers();

  it('runs only the calls still waiting: one that timed out meanwhile is not run again', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    try {
      await connection.send(['PING']);
      // Both calls share one EVALSHA, sent to a frozen server: the first times out before the NOSCRIPT reply.
      server.pause();
      const early = connection.run(add, ['total'], [1], { timeoutMs: 50 }).catch((e: unknown) => e);
      const patient = connection.run(add, ['total'], [10], { timeoutMs: 5000 });
      expect(await early).toBeInstanceOf(CommandTimeoutError);
      server.resume();
      expect(await patient).toBe(10);
      expect(await connection.send(['GET', 'total'])).toBe('10');

      // When no call waits any more, nothing is sent again.
      await connection.send(['SCRIPT', 'FLUSH']);
      server.pause();
      const alone = await connection.run(add, ['alone'], [1], { timeoutMs: 50 }).catch((e: unknown) => e);
      expect(alone).toBeInstanceOf(CommandTimeoutError);
      server.resume();
      await sleep(200);
      expect(await connection.send(['EXISTS', 'alone'])).toBe(0);
    } finally {
      server.resume();
      close();
    }
  });
});

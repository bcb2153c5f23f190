// A script reply that arrives after its caller timed out is dropped: the caller already has its
// CommandTimeoutError, and the script's parseReply (a module's own code) never sees the reply.
import { describe, expect, it } from 'vitest';
import { CommandTimeoutError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';

const parsed: unknown[] = [];
const plain = defineScript<[], number>('test/late-plain', "return redis.call('INCR', KEYS[1])", {
  keys: 1,
  parseReply: (reply) => {
    parsed.push(reply);
    return Number(reply);
  },
});
const coalesced = defineScript<[], number>(
  'test/late-coalesced',
  "local function call(k, a, res) res[#res + 1] = redis.call('INCR', KEYS[k + 1]) end",
  {
    keys: 1,
    coalesce: { replyLength: 1 },
    parseReply: (reply) => {
      parsed.push(reply);
      return Number((reply as unknown[])[0]);
    },
  },
);

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`script replies after a timeout via ${driver}`, () => {
  const startServer = privateServers();

  it('are not parsed, for plain and coalesced scripts; the next call is', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    try {
      // Loaded, so the frozen server's late answer is the scripts' reply, not NOSCRIPT.
      expect(await connection.run(plain, ['n'], [])).toBe(1);
      expect(await connection.run(coalesced, ['n'], [])).toBe(2);
      parsed.length = 0;
      server.pause();
      const late = await Promise.all([
        connection.run(plain, ['n'], [], { timeoutMs: 50 }).catch((e: unknown) => e),
        connection.run(coalesced, ['n'], [], { timeoutMs: 50 }).catch((e: unknown) => e),
      ]);
      for (const error of late) expect(error).toBeInstanceOf(CommandTimeoutError);
      server.resume();
      // Replies come in order on the one connection: this answer comes after the late ones.
      expect(await connection.send(['GET', 'n'])).toBe('4');
      expect(parsed).toEqual([]);
      expect(await connection.run(plain, ['n'], [])).toBe(5);
      expect(parsed).toEqual([5]);
    } finally {
      server.resume();
      close();
    }
  });
});

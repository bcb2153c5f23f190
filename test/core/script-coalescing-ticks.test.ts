// Coalescing collects a script's calls until the next process.nextTick: calls made from
// nextTick callbacks of one turn of the event loop still share an EVALSHA, one per turn.
import { describe, expect, it } from 'vitest';
import { defineScript } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

// Per call adds 1 to its key and answers the value after.
const add = defineScript<[], number>(
  'test/tick-add',
  "local function call(k, a, res) res[#res + 1] = redis.call('INCR', KEYS[k + 1]) end",
  {
    keys: 1,
    coalesce: { replyLength: 1 },
    parseReply: (reply) => Number((reply as unknown[])[0]),
  },
);

describe(`script calls across nextTick callbacks on ${target} via ${driver}`, () => {
  it('two calls made, then two more from nextTick callbacks queued between them: two EVALSHAs', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('ticks', 'n');
    await conn.run(add, [key], []);
    const { result, byCommand } = await countCommands(conn, async () => {
      const calls: Promise<number>[] = [];
      calls.push(conn.run(add, [key], []));
      process.nextTick(() => calls.push(conn.run(add, [key], [])));
      calls.push(conn.run(add, [key], []));
      process.nextTick(() => calls.push(conn.run(add, [key], [])));
      // Every nextTick callback has run by the next turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      return Promise.all(calls);
    });
    // The first two in one EVALSHA, the two made in the next callbacks in another.
    expect(byCommand.evalsha).toBe(2);
    expect(result).toEqual([2, 3, 4, 5]);
  });
});

import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, RedisCommandError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

// A coalesced script that answers one entry per call although it declares two.
const short = defineScript<[], unknown>('test/short-reply', 'local function call(k, a, res) res[#res + 1] = 1 end', {
  keys: 1,
  coalesce: { replyLength: 2 },
});
// A plain script whose reply its parser refuses.
const refused = defineScript<[], number>('test/refused-reply', 'return 1', {
  keys: 1,
  parseReply: () => {
    throw new Error('not what was expected');
  },
});
// A script that takes a while: sleeps in Lua for ARGV[1] milliseconds.
const slow = defineScript<[ms: number], string>(
  'test/slow-reply',
  "local t = redis.call('TIME'); local until_us = t[1] * 1e6 + t[2] + ARGV[1] * 1000\nwhile true do t = redis.call('TIME'); if t[1] * 1e6 + t[2] >= until_us then break end end\nreturn 'done'",
  { keys: 1 },
);

describe(`script replies on ${target} via ${driver}`, () => {
  it('a coalesced reply of the wrong length fails each call with what it got', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('short', 'n');
    const error = await conn.run(short, [key], []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisCommandError);
    expect((error as Error).message).toBe('script test/short-reply answered 1 entries for 1 calls of 2');
    const both = await Promise.all([
      conn.run(short, [key], []).catch((e: unknown) => e),
      conn.run(short, [key], []).catch((e: unknown) => e),
    ]);
    for (const e of both) expect((e as Error).message).toBe('script test/short-reply answered 2 entries for 2 calls of 2');
  });

  it('a reply the parser refuses rejects with the parser’s reason as the cause', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('refused', 'n');
    const error = (await conn.run(refused, [key], []).catch((e: unknown) => e)) as RedisCommandError;
    expect(error).toBeInstanceOf(RedisCommandError);
    expect(error.message).toBe('script test/refused-reply answered an unexpected reply: not what was expected');
    expect((error.cause as Error).message).toBe('not what was expected');
  });

  it('a script slower than its time limit rejects with CommandTimeoutError naming it; no limit at 0', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('slow', 'n');
    const error = (await conn.run(slow, [key], [150], { timeoutMs: 40 }).catch((e: unknown) => e)) as CommandTimeoutError;
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error.message).toBe('Redis did not answer script test/slow-reply within 40 ms');
    expect(await conn.run(slow, [key], [50], { timeoutMs: 0 })).toBe('done');
  });
});

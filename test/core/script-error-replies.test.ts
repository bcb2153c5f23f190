// An error reply other than NOSCRIPT is the script's answer: the caller gets it typed, and the
// call is not sent again with EVAL (which could run a write twice).
import { describe, expect, it } from 'vitest';
import { RedisCommandError, RedisPatternsError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

class RefusedError extends RedisPatternsError {
  constructor(readonly detail: string) {
    super('REDIS_ERROR', `refused: ${detail}`);
  }
}
// Counts its runs in KEYS[1], then refuses with a status code its error map types.
const refuse = defineScript<[], never>(
  'test/refuse-after-count',
  "redis.call('INCR', KEYS[1])\nreturn redis.error_reply('RP_REFUSED ' .. redis.call('GET', KEYS[1]))",
  { keys: 1, errors: { REFUSED: (detail) => new RefusedError(detail) } },
);
// Coalesced: per call adds 1 to its key; a key of the wrong type fails the whole EVALSHA.
const add = defineScript<[], number>(
  'test/error-reply-add',
  "local function call(k, a, res) res[#res + 1] = redis.call('INCR', KEYS[k + 1]) end",
  { keys: 1, coalesce: { replyLength: 1 }, parseReply: (reply) => Number((reply as unknown[])[0]) },
);

describe(`script error replies on ${target} via ${driver}`, () => {
  it('a status reply is typed by the script and runs once: no EVAL after it', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('refuse', 'runs');
    // Loaded on the key's node first, so the counted call is one EVALSHA.
    await conn.run(refuse, [key], []).catch(() => undefined);
    const counted = await countCommands(conn, () => conn.run(refuse, [key], []).catch((e: unknown) => e));
    expect(counted.result).toBeInstanceOf(RefusedError);
    expect((counted.result as RefusedError).detail).toBe('2');
    expect(counted.byCommand.evalsha).toBe(1);
    expect(counted.byCommand.eval).toBeUndefined();
    expect(await conn.send(['GET', key], key)).toBe('2');
  });

  it('a Redis error inside a coalesced script fails its calls once: no EVAL after it', async () => {
    const conn = await testConnection();
    const ks = conn.keys('test');
    const counter = ks.key('wrong', 'counter');
    const text = ks.key('wrong', 'text');
    await conn.send(['SET', text, 'not a number'], text);
    await conn.run(add, [counter], []);
    const counted = await countCommands(conn, () =>
      Promise.allSettled([conn.run(add, [counter], []), conn.run(add, [text], []), conn.run(add, [counter], [])]),
    );
    for (const s of counted.result) expect((s as PromiseRejectedResult).reason).toBeInstanceOf(RedisCommandError);
    expect(counted.byCommand.evalsha).toBe(1);
    expect(counted.byCommand.eval).toBeUndefined();
    // The first call ran before the error stopped the script; nothing ran twice.
    expect(await conn.send(['GET', counter], counter)).toBe('2');
  });
});

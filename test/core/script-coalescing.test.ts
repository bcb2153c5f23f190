import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { hashTag } from '../../src/core/script-runner.js';
import { CommandTimeoutError, RedisCommandError, RedisPatternsError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';

// A coalesced script: per call one key and its arguments, the first an amount to add;
// answers per call {the key's value after, the key}. Core appends the driver that runs `call`.
const add = defineScript<readonly (string | number)[], [number, string]>(
  'test/coalesced-add',
  `local function call(k, a, res)
  res[#res + 1] = redis.call('INCRBY', KEYS[k + 1], ARGV[a + 1])
  res[#res + 1] = KEYS[k + 1]
end`,
  { keys: 1, coalesce: { replyLength: 2 }, parseReply: (reply) => [Number((reply as unknown[])[0]), String((reply as unknown[])[1])] },
);

// Per call: Redis time as core's driver reads it once for every call of one EVALSHA.
const clock = defineScript<[], [number, number]>(
  'test/coalesced-clock',
  `local function call(k, a, res, now_ms, now_us)
  res[#res + 1] = now_ms
  res[#res + 1] = now_us
end`,
  { keys: 1, coalesce: { replyLength: 2, readsTime: true }, parseReply: (reply) => (reply as unknown[]).map(Number) as [number, number] },
);

class OddError extends RedisPatternsError {
  constructor(readonly detail: string) {
    super('REDIS_ERROR', `odd: ${detail}`);
  }
}
// Rejects odd amounts with a status code the script's own error map types.
const even = defineScript<[amount: number], number>(
  'test/even',
  `if tonumber(ARGV[1]) % 2 == 1 then return redis.error_reply('RP_ODD ' .. ARGV[1]) end
return redis.call('INCRBY', KEYS[1], ARGV[1])`,
  { keys: 1, parseReply: Number, errors: { ODD: (detail) => new OddError(detail) } },
);

describe(`script coalescing on ${target} via ${driver}`, () => {
  it('sends concurrent calls as one EVALSHA and gives each caller its own part of the reply', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('same', 'n');
    await conn.run(add, [key], [0]); // loads the script
    const { result, byCommand } = await countCommands(conn, () =>
      Promise.all(Array.from({ length: 16 }, (_, i) => conn.run(add, [key], [i + 1]))),
    );
    expect(byCommand).toEqual({ evalsha: 1, incrby: 16 });
    // Each caller gets its own entries, parsed by the script's parseReply.
    // Calls run in the order they were made: call i sees 1 + ... + (i + 1).
    expect(result).toEqual(Array.from({ length: 16 }, (_, i) => [((i + 1) * (i + 2)) / 2, key]));
    // A call alone uses the same layout.
    expect(await conn.run(add, [key], [1])).toEqual([137, key]);
  });

  it('splits a burst into EVALSHAs of at most 16 calls', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('burst', 'n');
    await conn.run(add, [key], [0]);
    const { result, byCommand } = await countCommands(conn, () =>
      Promise.all(Array.from({ length: 300 }, () => conn.run(add, [key], [1]))),
    );
    expect(byCommand.evalsha).toBe(Math.ceil(300 / 16));
    expect(result.map((r) => Number((r as unknown[])[0]))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('coalesces only calls with the same number of arguments', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('arity', 'n');
    await conn.run(add, [key], [0]);
    const { result, byCommand } = await countCommands(conn, () =>
      Promise.all([
        conn.run(add, [key], [1]),
        conn.run(add, [key], [10, 'x', 'y']),
        conn.run(add, [key], [100, 'x', 'y']),
        conn.run(add, [key], [1000]),
      ]),
    );
    expect(byCommand.evalsha).toBe(2);
    expect(result.map((r) => Number((r as unknown[])[0])).sort((a, b) => a - b)).toEqual([1, 1001, 1011, 1111]);
  });

  it('groups calls by hash tag on a cluster, so every EVALSHA stays in one slot', async () => {
    const conn = await testConnection();
    const ks = conn.keys('test');
    const keys = Array.from({ length: 12 }, (_, i) => ks.key(`tag-${i}`, 'n'));
    await conn.run(add, [keys[0] as string], [0]);
    const { result, byCommand } = await countCommands(conn, () =>
      Promise.all(keys.flatMap((k) => [conn.run(add, [k], [1]), conn.run(add, [k], [2])])),
    );
    expect(result).toEqual(
      keys.flatMap((k) => [
        [1, k],
        [3, k],
      ]),
    );
    // Standalone: 24 calls in EVALSHAs of 16; cluster: one per tag.
    expect(byCommand.evalsha).toBe(target === 'cluster' ? keys.length : 2);
    expect(hashTag(keys[0] as string)).toBe('tag-0');
    expect(hashTag('plain')).toBe('plain');
    expect(hashTag('a{}b{c}')).toBe('a{}b{c}');
  });

  it('reloads a coalesced script after SCRIPT FLUSH and answers every call', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('flush', 'n');
    for (const node of await conn.client.primaries()) await node.send(['SCRIPT', 'FLUSH']);
    const replies = await Promise.all(Array.from({ length: 10 }, () => conn.run(add, [key], [1])));
    expect(replies.map((r) => Number((r as unknown[])[0]))).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('sends one EVALSHA per call when coalesceScripts is false', async () => {
    const conn = await testConnection({ coalesceScripts: false });
    const key = conn.keys('test').key('plain', 'n');
    await conn.run(add, [key], [0]);
    const { result, byCommand } = await countCommands(conn, () => Promise.all(Array.from({ length: 5 }, () => conn.run(add, [key], [1]))));
    expect(byCommand.evalsha).toBe(5);
    expect(result.map((r) => r[0])).toEqual([1, 2, 3, 4, 5]);
  });

  it('fails every call of an EVALSHA with the typed error of a Redis error inside it', async () => {
    const conn = await testConnection();
    const ks = conn.keys('test');
    const counter = ks.key('err', 'counter');
    const text = ks.key('err', 'text');
    await conn.send(['SET', text, 'not a number'], text);
    const settled = await Promise.allSettled([conn.run(add, [counter], [1]), conn.run(add, [text], [1])]);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toBeInstanceOf(RedisCommandError);
    }
    // Alone, the call on a good key succeeds.
    expect(await conn.run(add, [counter], [1])).toEqual([2, counter]);
  });

  it('times out each coalesced call within its own timeout on a frozen server', async () => {
    const server = await startRedis();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 300 });
    try {
      const key = connection.keys('test').key('frozen', 'n');
      await connection.run(add, [key], [0]);
      server.pause();
      const started = Date.now();
      const fast = connection.run(add, [key], [1], { timeoutMs: 100 }).then(
        () => Number.NaN,
        (e: unknown) => (e instanceof CommandTimeoutError ? Date.now() - started : Number.NaN),
      );
      const slow = connection.run(add, [key], [1]).then(
        () => Number.NaN,
        (e: unknown) => (e instanceof CommandTimeoutError ? Date.now() - started : Number.NaN),
      );
      const [fastMs, slowMs] = await Promise.all([fast, slow]);
      expect(fastMs).toBeGreaterThanOrEqual(95);
      expect(slowMs).toBeGreaterThanOrEqual(295);
      expect(slowMs).toBeLessThan(2300);
      expect(fastMs).toBeLessThan(slowMs);
      server.resume();
      // The EVALSHA was sent before the freeze ended, so Redis still runs it: both increments land.
      expect(await connection.run(add, [key], [0])).toEqual([2, key]);
    } finally {
      close();
      await server.stop();
    }
  });

  it('reads Redis time once for every call of an EVALSHA when the script asks for it', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('clock', 'k');
    await conn.run(clock, [key], []);
    const { result, byCommand } = await countCommands(conn, () => Promise.all(Array.from({ length: 8 }, () => conn.run(clock, [key], []))));
    expect(byCommand).toEqual({ evalsha: 1, time: 1 });
    const [first] = result;
    for (const [ms, us] of result) {
      expect([ms, us]).toEqual(first);
      expect(Math.floor(us / 1000)).toBe(ms);
      expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
    }
  });

  it("maps a script's RP_ status codes to its own typed errors, and parses its replies", async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('even', 'n');
    expect(await conn.run(even, [key], [2])).toBe(2);
    const error = await conn.run(even, [key], [3]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OddError);
    expect((error as OddError).detail).toBe('3');
    const broken = defineScript<[], number>('test/broken-reply', 'return 1', {
      keys: 1,
      parseReply: () => {
        throw new Error('not what was expected');
      },
    });
    await expect(conn.run(broken, [key], [])).rejects.toBeInstanceOf(RedisCommandError);
  });

  it('rejects a coalesced script definition without a fixed number of keys, and a redefinition', () => {
    expect(() => defineScript('test/coalesced-variadic', 'return {}', { keys: 'variadic', coalesce: { replyLength: 1 } })).toThrow(
      /fixed number of keys/,
    );
    expect(() => defineScript('test/coalesced-zero', 'return {}', { keys: 1, coalesce: { replyLength: 0 } })).toThrow(/replyLength/);
    expect(() => defineScript('test/coalesced-add', 'return 1', { keys: 1 })).toThrow(/twice/);
    // The name says which file the script is: errors, traces and preload report it.
    for (const name of ['', 'add', 'test/', '/add', 'Test/add', 'test/add.lua', 'test/a/b', 'test/add#', 'test/add#x']) {
      expect(() => defineScript(name, 'return 1', { keys: 1 }), name).toThrow(/module\/file/);
    }
    // A variant of one file (the rate limiters' script per number of limits).
    expect(defineScript('test/variant#2', 'return 2', { keys: 1 }).name).toBe('test/variant#2');
  });
});

import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { hashTag } from '../../src/core/script-runner.js';
import { CommandTimeoutError, defineScript, RedisCommandError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';

// A batched script (core's layout): per call one key and A arguments, the first an amount
// to add; answers per call {the key's value after, the key}.
const add = defineScript(
  'test/batch-add',
  `local n = tonumber(ARGV[1])
local A = (#ARGV - 1) / n
local out = {}
for c = 1, n do
  out[#out + 1] = redis.call('INCRBY', KEYS[c], ARGV[2 + (c - 1) * A])
  out[#out + 1] = KEYS[c]
end
return out`,
  1,
  { batch: { replyLength: 2 } },
);

describe(`script batching on ${target} via ${driver}`, () => {
  it('sends concurrent calls as one EVALSHA and gives each caller its own part of the reply', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('same', 'n');
    await conn.run(add, [key], [0]); // loads the script
    const { result, byCommand } = await countCommands(conn, () =>
      Promise.all(Array.from({ length: 16 }, (_, i) => conn.run(add, [key], [i + 1]))),
    );
    expect(byCommand).toEqual({ evalsha: 1, incrby: 16 });
    // Calls run in the order they were made: call i sees 1 + ... + (i + 1).
    expect(result).toEqual(Array.from({ length: 16 }, (_, i) => [((i + 1) * (i + 2)) / 2, key]));
    // A call alone uses the same layout.
    expect(await conn.run(add, [key], [1])).toEqual([137, key]);
  });

  it('splits a burst into batches of at most 16 calls', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('burst', 'n');
    await conn.run(add, [key], [0]);
    const { result, byCommand } = await countCommands(conn, () =>
      Promise.all(Array.from({ length: 300 }, () => conn.run(add, [key], [1]))),
    );
    expect(byCommand.evalsha).toBe(Math.ceil(300 / 16));
    expect(result.map((r) => Number((r as unknown[])[0]))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('batches only calls with the same number of arguments', async () => {
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

  it('groups calls by hash tag on a cluster, so every batch stays in one slot', async () => {
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
    // Standalone: 24 calls in batches of 16; cluster: one batch per tag.
    expect(byCommand.evalsha).toBe(target === 'cluster' ? keys.length : 2);
    expect(hashTag(keys[0] as string)).toBe('tag-0');
    expect(hashTag('plain')).toBe('plain');
    expect(hashTag('a{}b{c}')).toBe('a{}b{c}');
  });

  it('reloads a batched script after SCRIPT FLUSH and answers every call', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('flush', 'n');
    for (const node of await conn.client.primaries()) await node.send(['SCRIPT', 'FLUSH']);
    const replies = await Promise.all(Array.from({ length: 10 }, () => conn.run(add, [key], [1])));
    expect(replies.map((r) => Number((r as unknown[])[0]))).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('sends one EVALSHA per call when batchScripts is false', async () => {
    const conn = await testConnection({ batchScripts: false });
    const key = conn.keys('test').key('plain', 'n');
    await conn.run(add, [key], [0]);
    const { result, byCommand } = await countCommands(conn, () => Promise.all(Array.from({ length: 5 }, () => conn.run(add, [key], [1]))));
    expect(byCommand.evalsha).toBe(5);
    expect(result.map((r) => Number((r as unknown[])[0]))).toEqual([1, 2, 3, 4, 5]);
  });

  it('fails every call of a batch with the typed error of a Redis error inside it', async () => {
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

  it('times out each call of a batch within its own timeout on a frozen server', async () => {
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
      // The batch was sent before the freeze ended, so Redis still runs it: both increments land.
      expect(await connection.run(add, [key], [0])).toEqual([2, key]);
    } finally {
      close();
      await server.stop();
    }
  });

  it('rejects a batched script definition without a fixed number of keys', () => {
    expect(() => defineScript('test/batch-variadic', 'return {}', -1, { batch: { replyLength: 1 } })).toThrow(/fixed number of keys/);
    expect(() => defineScript('test/batch-zero', 'return {}', 1, { batch: { replyLength: 0 } })).toThrow(/replyLength/);
  });
});

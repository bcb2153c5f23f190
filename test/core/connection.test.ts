import { describe, expect, it, vi } from 'vitest';
import { RedisCommandError, RedisConnection, ValidationError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, rawClient, target, testConnection } from '../harness/redis.js';

const echo = defineScript<[arg: string]>('test/echo', "return {KEYS[1], ARGV[1], redis.call('TIME')[1]}", { keys: 1 });
const boom = defineScript('test/boom', "return redis.error_reply('BOOM broken')", { keys: 1 });

describe(`RedisConnection on ${target} via ${driver}`, () => {
  it('runs a script with one EVALSHA', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('a');
    await conn.run(echo, [key], ['x']); // first call may need EVAL after NOSCRIPT
    const { result, byCommand, total } = await countCommands(conn, () => conn.run(echo, [key], ['hello']));
    const [k, arg, secs] = result as [string, string, string | number];
    expect(k).toBe(key);
    expect(arg).toBe('hello');
    expect(Number(secs)).toBeGreaterThan(1_600_000_000);
    expect(byCommand).toEqual({ evalsha: 1, time: 1 });
    expect(total).toBe(2);
  });

  it('reloads scripts transparently after SCRIPT FLUSH on every node', async () => {
    const conn = await testConnection();
    const ks = conn.keys('test');
    const keys = Array.from({ length: 20 }, (_, i) => ks.key(`tag-${i}`));
    for (const k of keys) await conn.run(echo, [k], ['1']);
    for (const node of await conn.client.primaries()) await node.send(['SCRIPT', 'FLUSH']);
    for (const k of keys) expect(((await conn.run(echo, [k], ['2'])) as unknown[])[1]).toBe('2');
    // Once reloaded, the next call is a plain EVALSHA again.
    const { byCommand } = await countCommands(conn, () => conn.run(echo, [keys[0] as string], ['3']));
    expect(byCommand.evalsha).toBe(1);
    expect(byCommand.eval).toBeUndefined();
  });

  it('preload() loads every defined script on every primary', async () => {
    const conn = await testConnection();
    for (const node of await conn.client.primaries()) await node.send(['SCRIPT', 'FLUSH']);
    await conn.preload();
    for (const node of await conn.client.primaries()) {
      const exists = (await node.send(['SCRIPT', 'EXISTS', echo.sha, boom.sha])) as number[];
      expect(exists.map(Number)).toEqual([1, 1]);
    }
  });

  it('turns error replies into typed errors', async () => {
    const conn = await testConnection();
    await expect(conn.run(boom, [conn.keys('test').key('b')], [])).rejects.toBeInstanceOf(RedisCommandError);
    await expect(conn.send(['INCR', conn.keys('test').key('c')], conn.keys('test').key('c'))).resolves.toBe(1);
  });

  it('batches commands of one slot in one round trip, atomically when asked', async () => {
    const conn = await testConnection();
    const ks = conn.keys('test');
    const a = ks.key('same', 'a');
    const b = ks.key('same', 'b');
    const replies = await conn.pipeline(
      [
        ['SET', a, '1'],
        ['INCRBY', b, 5],
        ['MGET', a, b],
      ],
      { atomic: true, routeKey: a },
    );
    expect(replies[1]).toBe(5);
    expect(replies[2]).toEqual(['1', '5']);
  });

  it('delivers pub/sub messages on the shared subscriber: sharded on a cluster, global standalone', async () => {
    const conn = await testConnection();
    // Redis 7.0+ and Valkey have sharded pub/sub: a cluster uses it, one server has no need.
    expect(await conn.shardedPubSub()).toBe(target === 'cluster');
    const sub = await conn.subscriber();
    expect(sub.sharded).toBe(target === 'cluster');
    const channel = conn.keys('test').key('chan');
    const got: string[] = [];
    await sub.subscribe(channel, (m) => got.push(m));
    expect(await conn.publish(channel, 'hi')).toBe(1);
    await vi.waitFor(() => expect(got).toEqual(['hi']));
    // The decision is made once: later calls send nothing.
    const { byCommand } = await countCommands(conn, () => conn.shardedPubSub());
    expect(byCommand).toEqual({});
    const sent = await countCommands(conn, () => conn.publish(channel, 'again'));
    expect(sent.byCommand).toEqual(target === 'cluster' ? { spublish: 1 } : { publish: 1 });
  });

  it('scans keys of a pattern across every primary', async () => {
    const conn = await testConnection();
    const ks = conn.keys('scan');
    for (let i = 0; i < 30; i++) await conn.send(['SET', ks.key(`k${i}`), 'v', 'PX', 60000], ks.key(`k${i}`));
    const seen: string[] = [];
    for await (const batch of conn.scan(ks.pattern())) seen.push(...batch);
    expect(new Set(seen).size).toBe(30);
  });

  it('rejects a non-client and a bad prefix with ValidationError', async () => {
    expect(() => RedisConnection.from({} as object)).toThrow(ValidationError);
    const raw = await rawClient();
    expect(() => RedisConnection.from(raw, { prefix: 'a{b}' })).toThrow(ValidationError);
    expect(() => RedisConnection.from(raw, { commandTimeoutMs: -1 })).toThrow(ValidationError);
  });

  it('close() leaves a client it did not create open', async () => {
    const raw = await rawClient();
    const conn = RedisConnection.from(raw, { prefix: 'p' });
    await conn.close();
    const again = RedisConnection.from(raw, { prefix: 'p' });
    await expect(again.send(['PING'])).resolves.toBe('PONG');
  });
});

describe(`RedisConnection.duplicate on ${target} via ${driver}`, () => {
  it('gives an independent connection for blocking commands', async () => {
    const conn = await testConnection();
    const blocking = await conn.duplicate();
    try {
      const list = conn.keys('test').key('q', 'list');
      const popped = blocking.send(['BLPOP', list, 2], list, { timeoutMs: 3000 });
      // The shared connection is not stalled while the duplicate blocks.
      await expect(conn.send(['PING'])).resolves.toBe('PONG');
      await conn.send(['RPUSH', list, 'job'], list);
      expect(await popped).toEqual([list, 'job']);
    } finally {
      await blocking.close();
    }
  });
});

describe(`variadic scripts on ${target} via ${driver}`, () => {
  const countKeys = defineScript<[]>('test/count-keys', 'return #KEYS', { keys: 'variadic' });

  it('takes any number of keys of one slot per call', async () => {
    const conn = await testConnection();
    const ks = conn.keys('test');
    expect(await conn.run(countKeys, [ks.key('v', 'a')], [])).toBe(1);
    expect(await conn.run(countKeys, [ks.key('v', 'a'), ks.key('v', 'b'), ks.key('v', 'c')], [])).toBe(3);
    await expect(conn.run(countKeys, [], [])).rejects.toThrow(/takes/);
  });
});

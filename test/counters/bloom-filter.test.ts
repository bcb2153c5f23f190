import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { BloomConfigError, BloomFilter, BloomModuleMissingError, bloomPositions, bloomSize } from '../../src/counters/index.js';
import { CommandTimeoutError, RedisConnection, ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { readyConnection, tagOf } from './helpers.js';

async function addAll(filter: BloomFilter, items: string[]) {
  const fresh: boolean[] = [];
  for (let i = 0; i < items.length; i += 1000) fresh.push(...(await filter.addMany(items.slice(i, i + 1000))));
  return fresh;
}

async function checkAll(filter: BloomFilter, items: string[]) {
  const out: boolean[] = [];
  for (let i = 0; i < items.length; i += 1000) out.push(...(await filter.existsMany(items.slice(i, i + 1000))));
  return out;
}

describe(`BloomFilter on ${target} via ${driver}`, () => {
  it('sizes the bit array from capacity and error rate', () => {
    expect(bloomSize(1000, 0.01)).toEqual({ bits: 9586, hashes: 7 });
    expect(bloomSize(1_000_000, 0.001)).toEqual({ bits: 14_377_588, hashes: 10 });
    const pos = bloomPositions('patient-42', { bits: 9586, hashes: 7 });
    expect(new Set(pos).size).toBe(7);
    for (const p of pos) expect(p >= 0 && p < 9586 && Number.isInteger(p)).toBe(true);
    expect(() => bloomSize(1e9, 1e-9)).toThrow(ValidationError);
  });

  it('puts an item on the same bits in every version: filters already stored stay readable', () => {
    expect(bloomPositions('patient-42', { bits: 9586, hashes: 7 })).toEqual([8041, 8099, 8157, 8215, 8273, 8331, 8389]);
    // With a prime number of bits every step is coprime to it: k positions are k distinct bits.
    for (const bits of [2, 3, 13, 9587]) {
      for (let i = 0; i < 200; i++) {
        const hashes = Math.min(bits, 7);
        const pos = bloomPositions(`item-${i}`, { bits, hashes });
        expect(new Set(pos).size, `item-${i} in ${bits} bits`).toBe(hashes);
        for (const p of pos) expect(p >= 0 && p < bits && Number.isInteger(p)).toBe(true);
      }
    }
  });

  it('backend lua asks the server nothing; clear also removes a filter the module backend left', async () => {
    const connection = await readyConnection();
    const lua = new BloomFilter({ connection, name: 'forced', capacity: 100, backend: 'lua' });
    const { result, total } = await countCommands(connection, () => lua.backend());
    expect(result).toBe('lua');
    expect(total).toBe(0);
    await lua.add('x');
    // What BF.INSERT would have stored under the module backend's key (RedisBloom is not on the test servers).
    const moduleKey = connection.keys('counters').key('forced', 'bloom', 'bf');
    await connection.send(['SET', moduleKey, 'module filter'], moduleKey);
    await lua.clear();
    expect(await connection.send(['EXISTS', moduleKey], moduleKey)).toBe(0);
    expect(await lua.exists('x')).toBe(false);
  });

  it('uses the Lua bit array on a server without RedisBloom, detected once per connection', async () => {
    const connection = await readyConnection();
    const a = new BloomFilter({ connection, name: 'a', capacity: 100 });
    const first = await countCommands(connection, () => a.backend());
    expect(first.result).toBe('lua');
    expect(first.byCommand).toEqual({ 'command|info': 1 });
    const b = new BloomFilter({ connection, name: 'b', capacity: 100 });
    const second = await countCommands(connection, () => b.add('x'));
    expect(second.byCommand['command|info']).toBeUndefined();
    await expect(new BloomFilter({ connection, name: 'c', capacity: 10, backend: 'module' }).add('x')).rejects.toBeInstanceOf(
      BloomModuleMissingError,
    );
  });

  it('has no false negatives and a measured false-positive rate near the requested one', async () => {
    const connection = await readyConnection();
    const capacity = 3000;
    const errorRate = 0.01;
    const filter = new BloomFilter({ connection, name: 'fpr', capacity, errorRate });
    const members = Array.from({ length: capacity }, (_, i) => `member-${i}`);
    const fresh = await addAll(filter, members);
    // Nearly all were new; a few may collide with earlier members' bits (that is a false positive at add time).
    expect(fresh.filter(Boolean).length).toBeGreaterThan(capacity * 0.98);
    expect((await checkAll(filter, members)).every(Boolean)).toBe(true);
    const probes = Array.from({ length: 30_000 }, (_, i) => `stranger-${i}`);
    const rate = (await checkAll(filter, probes)).filter(Boolean).length / probes.length;
    // Expected ≈ 0.01; the standard error over 30k probes is 0.00057, so 0.015 is > 8 sigma above and 0.005 below.
    expect(rate).toBeLessThan(errorRate * 1.5);
    expect(rate).toBeGreaterThan(errorRate * 0.5);
  });

  it('add and exists are one EVALSHA each, whatever the batch size', async () => {
    const connection = await readyConnection();
    const f = new BloomFilter({ connection, name: 'rt', capacity: 1000 });
    await f.add('warm');
    await f.exists('warm');
    const add = await countCommands(connection, () => f.addMany(['a', 'b', 'c']));
    expect(add.result).toEqual([true, true, true]);
    expect(add.byCommand).toEqual({ evalsha: 1, hmget: 1, bitfield: 3 });
    const has = await countCommands(connection, () => f.existsMany(['a', 'zz']));
    expect(has.result).toEqual([true, false]);
    expect(has.byCommand).toEqual({ evalsha: 1, hmget: 1, bitfield_ro: 2 });
    expect(await f.add('a')).toBe(false);
    expect(await new BloomFilter({ connection, name: 'empty', capacity: 10 }).exists('a')).toBe(false);
  });

  it('works at the most hashes any error rate gives (k = 1,074 at errorRate 5e-324)', async () => {
    const connection = await readyConnection();
    // One BITFIELD per item carries 4k values: still below what one Lua `unpack` returns.
    const f = new BloomFilter({ connection, name: 'many-hashes', capacity: 2, errorRate: Number.MIN_VALUE, backend: 'lua' });
    expect(f.size.hashes).toBe(1074);
    expect(await f.addMany(['a', 'b'])).toEqual([true, true]);
    expect(await f.existsMany(['a', 'b', 'c'])).toEqual([true, true, false]);
  });

  it('refuses to mix sizes: the same name with another capacity is a BloomConfigError', async () => {
    const connection = await readyConnection();
    await new BloomFilter({ connection, name: 'shared', capacity: 1000 }).add('x');
    const other = new BloomFilter({ connection, name: 'shared', capacity: 5000 });
    await expect(other.add('y')).rejects.toBeInstanceOf(BloomConfigError);
    await expect(other.exists('x')).rejects.toBeInstanceOf(BloomConfigError);
  });

  it('expires ttlMs after the last add when asked, and lives forever by default', async () => {
    const connection = await readyConnection();
    const ks = connection.keys('counters');
    const forever = new BloomFilter({ connection, name: 'forever', capacity: 10 });
    await forever.add('a');
    const fk = ks.key('forever', 'bloom', 'bits');
    expect(await connection.send(['PTTL', fk], fk)).toBe(-1);
    const temp = new BloomFilter({ connection, name: 'temp', capacity: 10, ttlMs: 30_000 });
    await temp.add('a');
    for (const part of ['bits', 'meta']) {
      const key = ks.key('temp', 'bloom', part);
      const pttl = Number(await connection.send(['PTTL', key], key));
      expect(pttl).toBeGreaterThan(20_000);
      expect(pttl).toBeLessThanOrEqual(30_000);
      expect(tagOf(key)).toBe(tagOf(ks.key('temp', 'bloom', 'bf')));
    }
    await temp.clear();
    expect(await temp.exists('a')).toBe(false);
  });

  it('rejects bad input before sending anything', async () => {
    const connection = await readyConnection();
    const f = new BloomFilter({ connection, name: 'v', capacity: 10, backend: 'lua' });
    const { byCommand } = await countCommands(connection, async () => {
      for (const bad of [() => f.addMany([]), () => f.existsMany(new Array(1001).fill('x')), () => f.add(5 as unknown as string)])
        await expect(bad()).rejects.toBeInstanceOf(ValidationError);
    });
    expect(byCommand).toEqual({});
    for (const options of [
      { capacity: 0 },
      { capacity: 10, errorRate: 0 },
      { capacity: 10, errorRate: 0.5 },
      { capacity: 10, ttlMs: -1 },
      { capacity: 10, backend: 'x' as 'lua' },
    ])
      expect(() => new BloomFilter({ connection, name: 'v', ...options })).toThrow(ValidationError);
  });

  it.runIf(target === 'standalone')('a frozen Redis fails with CommandTimeoutError, detection included, and is retried later', async () => {
    const server = await startRedis();
    const connection = await RedisConnection.connect(server.url, { commandTimeoutMs: 300 });
    try {
      const f = new BloomFilter({ connection, name: 'frozen', capacity: 100 });
      server.pause();
      await expect(f.add('x')).rejects.toBeInstanceOf(CommandTimeoutError); // the detection itself timed out
      server.resume();
      await expect(f.add('x')).resolves.toBe(true);
      expect(await f.backend()).toBe('lua');
    } finally {
      server.resume();
      await connection.close().catch(() => {});
      await server.stop();
    }
  });
});

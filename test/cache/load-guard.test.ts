import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { CacheLayout } from '../../src/cache/layout.js';
import type { RedisConnection } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const guardOf = (connection: RedisConnection, key: string) =>
  new CacheLayout(connection.keys('cache'), connection.client.isCluster ? 64 : 1).of(key).guard;
const exists = async (connection: RedisConnection, key: string) => Number(await connection.send(['EXISTS', key], key));

/** A loader that runs until `open` or `fail` is called. */
function gated<T>(value: T) {
  let open: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  const loader = () =>
    new Promise<T>((resolve, reject) => {
      open = () => resolve(value);
      fail = reject;
    });
  return { loader, open: () => open(), fail: (error: Error) => fail(error) };
}

describe(`Cache load guard on ${target} via ${driver}`, () => {
  it('a loader that outlived its guard does not free the guard another instance took since', async () => {
    const connection = await testConnection();
    const a = new Cache({ connection, ttlMs: 60_000, lockTtlMs: 300 });
    const b = new Cache({ connection, ttlMs: 60_000, lockTtlMs: 30_000 });
    const slow = gated('a');
    const first = a.wrap('late', slow.loader);
    await sleep(1000); // A's guard ran out
    const next = gated('b');
    const second = b.wrap('late', next.loader);
    await sleep(500); // B took the guard and is loading
    slow.open();
    expect(await first).toBe('a');
    await a.settled();
    expect(await exists(connection, guardOf(connection, 'late'))).toBe(1);
    next.open();
    expect(await second).toBe('b');
  });

  it('a waiter takes over a guard its holder freed, loads at once and frees it; it polls with back-off', async () => {
    const connection = await testConnection();
    const a = new Cache({ connection, ttlMs: 60_000, lockTtlMs: 30_000 });
    const b = new Cache({ connection, ttlMs: 60_000, lockTtlMs: 30_000 });
    const holder = gated('a');
    const first = a.wrap('orphan', holder.loader).catch((e: Error) => e.message);
    await sleep(300); // A holds the guard
    const { byCommand } = await countCommands(connection, async () => {
      const second = b.wrap('orphan', async () => 'b');
      await sleep(1500); // B waits, polling
      const failed = Date.now();
      holder.fail(new Error('down'));
      expect(await first).toBe('down');
      expect(await second).toBe('b');
      // Well before lockWaitMs (60 s): B took the freed guard over rather than waiting it out.
      expect(Date.now() - failed).toBeLessThan(3000);
      await b.settled();
    });
    // About ten polls in 1.5 s with back-off from 10 ms to 200 ms, not one every few ms.
    expect(byCommand.evalsha).toBeLessThan(40);
    expect(await exists(connection, guardOf(connection, 'orphan'))).toBe(0);
    expect(await a.get('orphan')).toBe('b');
  });
});

import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import type { RedisConnection } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { keysOf, settlesWithin } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  const startServer = privateServers();
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
    expect(await exists(connection, keysOf(connection, 'late').guard)).toBe(1);
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
    expect(await exists(connection, keysOf(connection, 'orphan').guard)).toBe(0);
    expect(await a.get('orphan')).toBe('b');
  });

  it('a loader that fails after close() leaves its guard to expire: the closed cache sends nothing more', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, lockTtlMs: 30_000 });
    const holder = gated('a');
    const load = cache.wrap('closing', holder.loader);
    const guard = keysOf(connection, 'closing').guard;
    while ((await exists(connection, guard)) === 0) await sleep(10);
    await cache.close();
    holder.fail(new Error('down'));
    await expect(load).rejects.toThrow('down');
    // Sent on the same connection after the release would have been.
    expect(await exists(connection, guard)).toBe(1);
  });

  it.runIf(target === 'standalone')(
    'a guard command Redis refuses is reported as its operation: claim (its SET NX, then its polls) and release',
    async () => {
      const server = await startServer();
      const admin = await privateConnection(server);
      const users = { noSet: '-set', noScripts: '-evalsha -eval -script', noDel: '-del' };
      for (const [user, denied] of Object.entries(users)) {
        await admin.connection.send(['ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all', ...denied.split(' ')]);
      }
      const sides = [admin];
      const cacheAs = async (user: keyof typeof users) => {
        const side = await privateConnection(`redis://${user}:pw@127.0.0.1:${server.port}`);
        sides.push(side);
        const cache = new Cache({ connection: side.connection, ttlMs: 60_000, lockTtlMs: 30_000 });
        const failures: string[] = [];
        cache.on('redisError', (e: CacheEvents['redisError'][0]) => failures.push(`${e.operation} ${e.key}`));
        return { cache, failures };
      };
      try {
        const noSet = await cacheAs('noSet');
        expect(await noSet.cache.wrap('a', async () => 'loaded')).toBe('loaded');
        expect(noSet.failures[0]).toBe('claim a');

        // Another instance holds b's guard: the poll, a script, is refused.
        const holder = new Cache({ connection: admin.connection, ttlMs: 60_000, lockTtlMs: 30_000 });
        const slow = gated('held');
        const held = holder.wrap('b', slow.loader);
        while ((await exists(admin.connection, keysOf(admin.connection, 'b').guard)) === 0) await sleep(10);
        const noScripts = await cacheAs('noScripts');
        expect(await noScripts.cache.wrap('b', async () => 'loaded')).toBe('loaded');
        expect(noScripts.failures).toEqual(['claim b']);
        slow.open();
        expect(await held).toBe('held');

        const noDel = await cacheAs('noDel');
        await expect(noDel.cache.wrap('c', () => Promise.reject(new Error('loader failed')))).rejects.toThrow('loader failed');
        await noDel.cache.settled();
        expect(noDel.failures).toEqual(['release c']);
      } finally {
        for (const side of sides) side.close();
      }
    },
  );

  it.runIf(target === 'standalone')(
    'time spent sleeping between polls is given back exactly: a poll to a frozen Redis still ends within timeoutMs',
    async () => {
      const server = await startServer();
      const holderSide = await privateConnection(server);
      const waiterSide = await privateConnection(server, { commandTimeoutMs: 60_000 });
      const holder = new Cache({ connection: holderSide.connection, ttlMs: 60_000, lockTtlMs: 30_000 });
      const waiter = new Cache({ connection: waiterSide.connection, ttlMs: 60_000, lockTtlMs: 30_000, timeoutMs: 300 });
      const slow = gated('held');
      try {
        const held = holder.wrap('k', slow.loader);
        while ((await exists(holderSide.connection, keysOf(holderSide.connection, 'k').guard)) === 0) await sleep(10);
        const polls = async () =>
          Number(/cmdstat_evalsha:calls=(\d+)/.exec(String(await holderSide.connection.send(['INFO', 'commandstats'])))?.[1] ?? 0);
        const before = await polls();
        const waiting = waiter.wrap('k', async () => 'own');
        // The waiter is polling: from now on it sleeps and polls in turn.
        while ((await polls()) === before) await sleep(10);
        server.pause();
        expect(await settlesWithin(waiting, 3000)).toBe(true);
        expect(await waiting).toBe('own');
        server.resume();
        slow.open();
        expect(await held).toBe('held');
      } finally {
        server.resume();
        holderSide.close();
        waiterSide.close();
      }
    },
  );
});

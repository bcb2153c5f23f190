// A cold miss costs two round trips before the loader (GET, then the guard's SET NX) and none
// after it on the caller's path: the store is sent at once but not awaited. Writes are paused
// on the server while the loader runs, so a wrap that waited for its store could not resolve.
import { describe, expect, it, onTestFinished } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { deleteScript, invalidateScript, setScript } from '../../src/cache/scripts.js';
import type { RedisConnection } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { defaultLayout } from './helpers.js';

const PAUSE_MS = 600;

async function pauseWrites(connection: RedisConnection, ms: number): Promise<void> {
  const nodes = await connection.client.primaries();
  await Promise.all(nodes.map((node) => node.send(['CLIENT', 'PAUSE', ms, 'WRITE'])));
}

describe(`Cache cold miss round trips on ${target} via ${driver}`, () => {
  it('two round trips before the loader, none after it: wrap resolves while its store is still held up', async () => {
    const connection = await testConnection();
    const counter = await testConnection();
    const pauser = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 5000 });
    let pausedAt = 0;
    const { result, byCommand } = await countCommands(counter, () =>
      cache.wrap('provider:42', async () => {
        await pauseWrites(pauser, PAUSE_MS);
        pausedAt = performance.now();
        return { slots: 3 };
      }),
    );
    const resolvedIn = performance.now() - pausedAt;
    // Whatever fails below, the next test must not meet a paused server.
    onTestFinished(() => cache.settled());
    expect(result).toEqual({ slots: 3 });
    // Counted while the store waits on the paused server: only the GET and the guard's SET NX
    // (and the test's own CLIENT PAUSE).
    const { 'client|pause': _pause, ...ours } = byCommand;
    expect(ours).toEqual({ get: 1, set: 1 });
    expect(resolvedIn).toBeLessThan(PAUSE_MS / 2);
    // The store lands once writes resume; settled() waits for it.
    await cache.settled();
    expect(performance.now() - pausedAt).toBeGreaterThanOrEqual(PAUSE_MS - 50);
    const hit = await countCommands(counter, () => cache.get('provider:42'));
    expect(hit.result).toEqual({ slots: 3 });
    expect(hit.byCommand).toEqual({ get: 1 });
    await cache.close();
  });

  it('this cache reads its own stores: a read right after a miss finds the entry, tagged or not', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    let loads = 0;
    const load = async () => {
      loads++;
      return 'v';
    };
    // No settled(): a read of a key whose store is in flight waits for that store.
    expect(await cache.wrap('k', load)).toBe('v');
    expect(await cache.get('k')).toBe('v');
    expect(await cache.wrap('k', load)).toBe('v');
    // A tagged store is a coalesced script call, sent a tick later than a plain command.
    expect(await cache.wrap('tagged', load, { tags: ['ward:3'] })).toBe('v');
    expect(await cache.wrap('tagged', load, { tags: ['ward:3'] })).toBe('v');
    expect(await cache.mget(['k', 'tagged'])).toEqual(['v', 'v']);
    expect(loads).toBe(2);
    await cache.close();
  });

  it('a store retried as EVAL after NOSCRIPT still lands before a delete or invalidation sent after it', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const nodes = await connection.client.primaries();
    // The store's script missing on the server (as after a restart or failover), the delete's
    // and the invalidation's loaded: unless they wait, they run first and the store's EVAL after.
    const forgetStoreScript = async () => {
      for (const node of nodes) {
        await node.send(['SCRIPT', 'FLUSH']);
        for (const script of [deleteScript, invalidateScript]) await node.send(['SCRIPT', 'LOAD', script.source]);
      }
    };
    await forgetStoreScript();
    expect(await cache.wrap('deleted', async () => 'v', { tags: ['ward:3'] })).toBe('v');
    await cache.delete('deleted');
    await forgetStoreScript();
    expect(await cache.wrap('invalidated', async () => 'v', { tags: ['ward:3'] })).toBe('v');
    expect(await cache.invalidateTag('ward:3')).toBe(1);
    await cache.settled();
    const reader = new Cache({ connection, ttlMs: 60_000 });
    expect(await reader.mget(['deleted', 'invalidated'])).toEqual([undefined, undefined]);
    await cache.close();
  });

  it('a set right after a miss lands after its store, even when the script is loaded again in between', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.set('warm', 1); // the connection knows by now whether it publishes sharded
    const { entry } = defaultLayout(connection).of('k');
    for (const node of await connection.client.primaries()) await node.send(['SCRIPT', 'FLUSH']);
    expect(await cache.wrap('k', async () => 'loaded', { tags: ['ward:3'] })).toBe('loaded');
    // Before the store's NOSCRIPT reply comes back (and its EVAL goes out), the script is loaded
    // again: a set that did not wait for the store would run at once, and the store's EVAL after it.
    const loaded = connection.send(['SCRIPT', 'LOAD', setScript.source], entry);
    expect(await cache.set('k', 'set')).toBe(true);
    await loaded;
    await cache.settled();
    const reader = new Cache({ connection, ttlMs: 60_000 });
    expect(await reader.get('k')).toBe('set');
    await cache.close();
  });

  it('clear() deletes an entry whose store, retried as EVAL after NOSCRIPT, was in flight when it began', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    for (const node of await connection.client.primaries()) await node.send(['SCRIPT', 'FLUSH']);
    expect(await cache.wrap('k', async () => 'loaded', { tags: ['ward:3'] })).toBe('loaded');
    await cache.clear();
    await cache.settled();
    const reader = new Cache({ connection, ttlMs: 60_000 });
    expect(await reader.get('k')).toBeUndefined();
    await cache.close();
  });

  it('an mset right after a miss lands after its store, retried as EVAL after NOSCRIPT', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    for (const node of await connection.client.primaries()) await node.send(['SCRIPT', 'FLUSH']);
    expect(await cache.wrap('k', async () => 'loaded', { tags: ['ward:3'] })).toBe('loaded');
    // A pipeline of plain SETs: sent before the store's EVAL unless it waits for the store.
    expect(await cache.mset([{ key: 'k', value: 'set' }])).toBe(true);
    await cache.settled();
    const reader = new Cache({ connection, ttlMs: 60_000 });
    expect(await reader.get('k')).toBe('set');
    await cache.close();
  });
});

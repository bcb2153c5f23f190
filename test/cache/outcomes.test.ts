// The outcome every traced cache operation publishes (what a span's result says): a wrap served
// by another call's read, a stale wrap, an L1 hit of get, and stored or skipped writes.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { setIdentifierHashKey } from '../../src/core/telemetry.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { privateServersOfSuite, sleep } from './helpers.js';

/** `[operation, outcome]` of each cache operation `run` started, in order. */
async function outcomes(run: () => Promise<unknown>): Promise<[string, string | undefined][]> {
  return (await tracedOperations('cache', run)).map((c) => [c.operation, c.outcome]);
}

describe(`Cache operation outcomes on ${target} via ${driver}`, () => {
  const { startServer } = privateServersOfSuite();

  it('a wrap served by another call’s read of the same key is a miss, like that call', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const seen = await outcomes(() => Promise.all([cache.wrap('k', async () => 1), cache.wrap('k', async () => 2)]));
    expect(seen).toEqual([
      ['wrap', 'miss'],
      ['wrap', 'miss'],
    ]);
    await cache.close();
  });

  it('a wrap answered inside the grace period is stale', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 100, staleWhileRevalidateMs: 10_000 });
    await cache.wrap('k', async () => 1);
    await cache.settled();
    await sleep(150);
    const seen = await outcomes(() => cache.wrap('k', async () => 2));
    expect(seen).toEqual([['wrap', 'stale']]);
    await cache.close();
  });

  it('get is a hit for a fresh entry in Redis, a miss for none', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.set('k', 1);
    const seen = await outcomes(async () => [await cache.get('k'), await cache.get('none')]);
    expect(seen).toEqual([
      ['get', 'hit'],
      ['get', 'miss'],
    ]);
  });

  it('get answered from L1 is an l1-hit', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, l1: {} });
    await cache.ready();
    await cache.set('k', 1);
    const seen = await outcomes(() => cache.get('k'));
    expect(seen).toEqual([['get', 'l1-hit']]);
    await cache.close();
  });

  it('a cache without a namespace publishes no attributes at all, not an undefined cache name', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const [context] = await tracedOperations('cache', () => cache.get('k'));
    expect(Object.keys(context?.attributes ?? { missing: true })).toEqual([]);
  });

  it('set and mset are stored, or skipped while Redis is down', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 200 });
    try {
      const up = await outcomes(async () => [await cache.set('k', 1), await cache.mset([{ key: 'm', value: 1 }])]);
      expect(up).toEqual([
        ['set', 'stored'],
        ['mset', 'stored'],
      ]);
      await server.stop();
      let results: unknown[] = [];
      const down = await outcomes(async () => {
        results = [await cache.set('k', 2), await cache.mset([{ key: 'm', value: 2 }])];
      });
      expect(results).toEqual([false, false]);
      expect(down).toEqual([
        ['set', 'skipped'],
        ['mset', 'skipped'],
      ]);
    } finally {
      await cache.close();
      close();
    }
  });

  it('a delete of one key carries that key as its hashed subject; a delete of several keys, none', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    setIdentifierHashKey('test-key');
    try {
      const seen = await tracedOperations('cache', async () => {
        await cache.delete('a');
        await cache.delete(['a']);
        await cache.delete(['a', 'b']);
      });
      const [one, listOfOne, several] = seen.map((c) => c.subject);
      expect(one).toMatch(/^\S+$/);
      expect(listOfOne).toBe(one);
      expect(several).toBeUndefined();
    } finally {
      setIdentifierHashKey(undefined);
    }
  });
});

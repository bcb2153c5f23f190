// Calls Redis refuses part of (ACL). An invalidation rejects, and its redisError names the
// public call, whichever of its steps failed (the sweep's script, the announcement); an mset
// refused on one slot bucket resolves false, though the others were written.
import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import { CacheLayout } from '../../src/cache/layout.js';
import { RedisCommandError } from '../../src/index.js';
import { connectionWithoutChannels, privateConnection } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';
import { privateServersOfSuite } from './helpers.js';

describe(`Cache invalidations Redis refuses via ${driver}`, () => {
  const { startServer } = privateServersOfSuite();

  async function failures(cache: Cache): Promise<CacheEvents['redisError'][0][]> {
    const events: CacheEvents['redisError'][0][] = [];
    cache.on('redisError', (e) => events.push(e));
    return events;
  }

  it('the sweep script refused (no DEL): invalidateTag and expireTag reject, each reported under its own name', async () => {
    const server = await startServer();
    const admin = await privateConnection(server);
    await admin.connection.send(['ACL', 'SETUSER', 'no-del', 'on', '>secret', '~*', '&*', '+@all', '-del', '-unlink']);
    const limited = await privateConnection(`redis://no-del:secret@127.0.0.1:${server.port}`);
    const writer = new Cache({ connection: admin.connection, ttlMs: 60_000, staleWhileRevalidateMs: 10_000 });
    const cache = new Cache({ connection: limited.connection, ttlMs: 60_000, staleWhileRevalidateMs: 10_000 });
    const events = await failures(cache);
    try {
      await writer.set('a', 1, { tags: ['t'] });
      await writer.set('b', 1, { tags: ['u'] });
      await expect(cache.invalidateTag('t')).rejects.toBeInstanceOf(RedisCommandError);
      await expect(cache.expireTag('u')).rejects.toBeInstanceOf(RedisCommandError);
      expect(events.map((e) => e.operation)).toEqual(['invalidateTag', 'expireTag']);
      // A null not to be cached only frees its guard, with a DEL: refused, reported as its store.
      const negative = new Cache({ connection: limited.connection, ttlMs: 60_000, negativeTtlMs: 0 });
      const theirs = await failures(negative);
      expect(await negative.wrap('none', async () => null)).toBeNull();
      await negative.settled();
      expect(theirs.map((e) => [e.operation, e.key])).toEqual([['store', 'none']]);
    } finally {
      admin.close();
      limited.close();
    }
  });

  it('the announcement refused (no channels): clear rejects after deleting, reported as clear', async () => {
    const server = await startServer();
    const admin = await privateConnection(server);
    const limited = await connectionWithoutChannels(server, admin.connection);
    const writer = new Cache({ connection: admin.connection, ttlMs: 60_000 });
    const cache = new Cache({ connection: limited.connection, ttlMs: 60_000 });
    const events = await failures(cache);
    try {
      await writer.set('a', 1);
      await expect(cache.clear()).rejects.toBeInstanceOf(RedisCommandError);
      expect(events.map((e) => e.operation)).toEqual(['clear']);
      expect(await writer.get('a')).toBeUndefined();
    } finally {
      admin.close();
      limited.close();
    }
  });

  it('an mset refused on one of its buckets resolves false; the other bucket is written', async () => {
    const server = await startServer();
    const admin = await privateConnection(server);
    // Reads everywhere, writes only in bucket b1.
    await admin.connection.send(['ACL', 'SETUSER', 'b1-only', 'on', '>secret', 'resetkeys', '%R~*', '~*{b1}*', '&*', '+@all']);
    const limited = await privateConnection(`redis://b1-only:secret@127.0.0.1:${server.port}`);
    const cache = new Cache({ connection: limited.connection, ttlMs: 60_000, buckets: 2 });
    const events = await failures(cache);
    const layout = new CacheLayout(limited.connection.keys('cache'), 2);
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const refused = keys.find((k) => layout.of(k).bucket === 'b0') as string;
    const written = keys.find((k) => layout.of(k).bucket === 'b1') as string;
    try {
      expect(
        await cache.mset([
          { key: refused, value: 1 },
          { key: written, value: 2 },
        ]),
      ).toBe(false);
      expect(await cache.mget([refused, written])).toEqual([undefined, 2]);
      expect(events.map((e) => e.operation)).toEqual(['mset']);
    } finally {
      admin.close();
      limited.close();
    }
  });
});

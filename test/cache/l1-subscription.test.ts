// The L1 tier's subscription to the invalidation channels: refused subscriptions are retried
// (at most once a second), a closed tier neither serves, fills nor subscribes again, and a
// subscriber that cannot report its losses (a user's own client adapter) is still usable.
import { describe, expect, it, vi } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import type { RedisClient, Subscriber } from '../../src/core/client/types.js';
import { RedisConnection } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { connectionWithoutChannels, privateConnection } from '../harness/private-server.js';
import { closeAfterAll, driver, target, testConnection } from '../harness/redis.js';
import { privateServersOfSuite, settlesWithin, watchSubscriber } from './helpers.js';

/** SUBSCRIBE and SSUBSCRIBE calls so far on every primary (countCommands leaves them out as housekeeping). */
async function subscribeCalls(connection: RedisConnection): Promise<number> {
  let calls = 0;
  for (const node of await connection.client.primaries()) {
    const info = String(await node.send(['INFO', 'commandstats']));
    for (const m of info.matchAll(/^cmdstat_s?subscribe:calls=(\d+)/gm)) calls += Number(m[1]);
  }
  return calls;
}

describe(`Cache L1 subscription on ${target} via ${driver}`, () => {
  const { startServer, unhandled } = privateServersOfSuite();

  it('with a client adapter whose subscriber cannot report losses, L1 still fills, hears invalidations and closes', async () => {
    const base = await testConnection();
    // A user's own adapter (adaptClient accepts one) over the real client, without onDisconnect / onReconnect.
    const real = base.client;
    const createSubscriber = async (...args: Parameters<RedisClient['createSubscriber']>): Promise<Subscriber> => {
      const sub = await real.createSubscriber(...args);
      return {
        sharded: sub.sharded,
        subscribe: (channel, handler) => sub.subscribe(channel, handler),
        unsubscribe: (channel, handler) => sub.unsubscribe(channel, handler),
        close: () => sub.close(),
      };
    };
    const adapter = new Proxy(real, {
      get(target, property) {
        if (property === 'createSubscriber') return createSubscriber;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const connection = RedisConnection.from(adapter, { prefix: base.prefix });
    closeAfterAll(connection);
    const reader = new Cache({ connection, ttlMs: 60_000, l1: { ttlMs: 60_000 } });
    const writer = new Cache({ connection: base, ttlMs: 60_000 });
    const failures: CacheEvents['redisError'][0][] = [];
    reader.on('redisError', (e) => failures.push(e));
    await reader.ready();
    await reader.set('k', 'v1');
    expect(await reader.get('k')).toBe('v1');
    expect(reader.stats().l1Hits).toBe(1);
    await writer.set('k', 'v2');
    await vi.waitFor(async () => expect(await reader.get('k')).toBe('v2'), { timeout: 5000 });
    await expect(reader.close()).resolves.toBeUndefined();
    expect(failures).toEqual([]);
  });

  it('closed right after it was made: close() resolves, and the subscription it overtook never fills L1', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, l1: { ttlMs: 60_000 } });
    await expect(cache.close()).resolves.toBeUndefined();
    await cache.ready();
    // Writes and reads after close() still use Redis (a closed cache stores no loaded values).
    expect(await cache.set('k', 'v')).toBe(true);
    expect(await cache.get('k')).toBe('v');
    expect(await cache.get('k')).toBe('v');
    expect(cache.stats().l1Hits).toBe(0);
  });

  it('after close() reads go to Redis every time: L1 neither serves nor fills, and nothing subscribes again', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, l1: { ttlMs: 60_000 } });
    await cache.ready();
    await cache.set('k', 'v');
    expect(await cache.get('k')).toBe('v');
    expect(cache.stats().l1Hits).toBe(1);
    await cache.close();
    const subscribedBefore = await subscribeCalls(connection);
    const { byCommand } = await countCommands(connection, async () => {
      for (let i = 0; i < 3; i++) {
        expect(await cache.get('k')).toBe('v');
        // A subscription a read might have started is over before the next read.
        await cache.ready();
      }
    });
    expect(byCommand.get).toBe(3);
    expect(await subscribeCalls(connection)).toBe(subscribedBefore);
    expect(cache.stats().l1Hits).toBe(1);
  });

  it.runIf(target === 'standalone')(
    'a refused subscription is retried at most once a second by later reads, and L1 starts once it is allowed',
    async () => {
      const server = await startServer();
      const admin = await privateConnection(server);
      // A user that may not subscribe to any channel, until it is allowed below.
      const side = await connectionWithoutChannels(server, admin.connection);
      const started = Date.now();
      const cache = new Cache({ connection: side.connection, ttlMs: 60_000, l1: { ttlMs: 60_000 } });
      const refused: unknown[] = [];
      cache.on('redisError', (e) => e.operation === 'subscribe' && refused.push(e.error));
      try {
        await cache.ready();
        expect(refused).toHaveLength(1);
        for (let i = 0; i < 10; i++) {
          expect(await cache.wrap(`k${i}`, async () => i)).toBe(i);
          await cache.ready();
        }
        expect(await cache.get('k0')).toBe(0);
        expect(cache.stats().l1Hits).toBe(0);
        // Ten reads, each a chance to subscribe again: one retry per second passed at most.
        expect(refused.length).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - started) / 1000));

        await side.allowChannels();
        await vi.waitFor(
          async () => {
            expect(await cache.get('k0')).toBe(0);
            await cache.ready();
            expect(cache.stats().l1Hits).toBeGreaterThan(0);
          },
          { timeout: 10_000, interval: 100 },
        );
      } finally {
        await cache.close();
        side.close();
        admin.close();
      }
    },
  );

  it.runIf(target === 'standalone')(
    'a closed cache does not wait for a pub/sub connection lost after close(), whether it closed before or after subscribing',
    async () => {
      const server = await startServer();
      const side = await privateConnection(server);
      const options = { connection: side.connection, ttlMs: 60_000, timeoutMs: 200, offlineBackoffMs: 0, l1: { ttlMs: 60_000 } };
      try {
        const subscribed = new Cache(options);
        await subscribed.ready();
        await subscribed.close();
        const early = new Cache(options);
        await early.close();
        await early.ready();
        const events = await watchSubscriber(side.connection);
        await server.stop();
        await vi.waitFor(() => expect(events).toContain('lost'), { timeout: 5000 });
        // The server stays down: a closed tier that still followed the subscriber would wait for it.
        expect(await settlesWithin(subscribed.ready(), 2000)).toBe(true);
        expect(await settlesWithin(early.ready(), 2000)).toBe(true);
      } finally {
        side.close();
      }
    },
  );

  it.runIf(target === 'standalone')(
    'a cache made while the pub/sub connection is lost hears it come back without an error, and fills L1 after',
    async () => {
      const server = await startServer();
      const side = await privateConnection(server);
      const options = { connection: side.connection, ttlMs: 60_000, timeoutMs: 200, offlineBackoffMs: 0, l1: { ttlMs: 60_000 } };
      try {
        const first = new Cache(options);
        await first.ready();
        const lost = await watchSubscriber(side.connection);
        await server.stop();
        await vi.waitFor(() => expect(lost).toContain('lost'), { timeout: 5000 });
        // It never saw the loss: only the recovery.
        const late = new Cache(options);
        const events = await watchSubscriber(side.connection);
        const _restarted = await startServer({ port: server.port });
        await vi.waitFor(() => expect(events).toContain('back'), { timeout: 10_000 });
        await late.ready();
        await vi.waitFor(async () => expect(await late.set('k', 'v')).toBe(true), { timeout: 5000 });
        expect(await late.get('k')).toBe('v');
        expect(late.stats().l1Hits).toBe(1);
        expect(unhandled).toEqual([]);
        await first.close();
        await late.close();
      } finally {
        side.close();
      }
    },
  );
});

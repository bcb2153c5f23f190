// The L1 tier across a lost pub/sub connection: invalidations published while the subscriber
// is down are lost for good, so L1 must not serve anything it held before, and must listen
// again (and hear later invalidations) once the subscriber is back.
import { describe, expect, it, vi } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { Cache } from '../../src/cache/index.js';
import { RedisConnection } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { closeAfterAll, driver, killPubSubConnections, rawClient, target, testConnection } from '../harness/redis.js';
import { watchSubscriber } from './helpers.js';

describe(`Cache L1 across a lost pub/sub connection on ${target} via ${driver}`, () => {
  it('the subscriber connection is killed while another instance writes: L1 never serves the missed invalidation, later ones arrive', async () => {
    const reader = await testConnection();
    // Another app instance: its own client and connection, same prefix.
    const other = RedisConnection.from(await rawClient(), { prefix: reader.prefix });
    closeAfterAll(other);
    await other.shardedPubSub();
    const cache = new Cache({ connection: reader, ttlMs: 60_000, l1: { ttlMs: 60_000 } });
    const writer = new Cache({ connection: other, ttlMs: 60_000 });
    await cache.ready();
    const events = await watchSubscriber(reader);
    await cache.set('provider:7', 'v1');
    expect(await cache.get('provider:7')).toBe('v1');
    expect(cache.stats().l1Hits).toBe(1);

    await killPubSubConnections(reader.client);
    // Published while the reader's subscriber is down: never delivered to it.
    await writer.set('provider:7', 'v2');
    await vi.waitFor(() => expect(events).toContain('lost'), { timeout: 5000 });
    // ready() waits until every invalidation channel is subscribed again.
    await cache.ready();
    expect(events).toContain('back');
    const { result, total } = await countCommands(reader, () => cache.get('provider:7'));
    expect(result).toBe('v2');
    expect(total).toBe(1); // from Redis: L1 was emptied
    expect(cache.stats().l1Hits).toBe(1);

    // L1 fills again, and hears the next invalidation.
    await vi.waitFor(async () => expect((await countCommands(reader, () => cache.get('provider:7'))).total).toBe(0), { timeout: 2000 });
    await writer.set('provider:7', 'v3');
    await vi.waitFor(async () => expect(await cache.get('provider:7')).toBe('v3'), { timeout: 2000 });
    await cache.close();
  });

  it.runIf(target === 'standalone')(
    'the server goes away and comes back: L1 serves nothing meanwhile, ready() waits for the new subscription, reads are fresh',
    async () => {
      const server = await startRedis();
      const readerSide = await privateConnection(server);
      const writerSide = await privateConnection(server);
      try {
        const options = { ttlMs: 60_000, timeoutMs: 200, offlineBackoffMs: 0 };
        const cache = new Cache({ connection: readerSide.connection, ...options, l1: { ttlMs: 60_000 } });
        const writer = new Cache({ connection: writerSide.connection, ...options });
        await cache.ready();
        const events = await watchSubscriber(readerSide.connection);
        await writer.set('k', 'v1');
        // A read that overlapped the write's invalidation message does not fill L1: read until one did.
        await vi.waitFor(
          async () => {
            expect(await cache.get('k')).toBe('v1');
            expect(cache.stats().l1Hits).toBe(1);
          },
          { timeout: 2000 },
        );

        await server.stop();
        await vi.waitFor(() => expect(events).toContain('lost'), { timeout: 5000 });
        // L1 was emptied: the read goes to Redis, finds it down, and falls open.
        expect(await cache.get('k')).toBeUndefined();
        expect(cache.stats().l1Hits).toBe(1);
        let back = false;
        const ready = cache.ready().then(() => {
          back = true;
        });
        await new Promise((r) => setTimeout(r, 200));
        expect(back).toBe(false);

        const restarted = await startRedis({ port: server.port });
        try {
          // The data went with the old process: another instance writes the new value.
          await vi.waitFor(async () => expect(await writer.set('k', 'v2')).toBe(true), { timeout: 5000 });
          await ready;
          expect(events).toContain('back');
          expect(await cache.get('k')).toBe('v2');
          await writer.set('k', 'v3');
          await vi.waitFor(async () => expect(await cache.get('k')).toBe('v3'), { timeout: 2000 });
          await cache.close();
        } finally {
          await restarted.stop();
        }
      } finally {
        readerSide.close();
        writerSide.close();
        await server.stop();
      }
    },
  );
});

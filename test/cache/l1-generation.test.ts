// A read that overlapped an invalidation does not fill L1, however many invalidations of which
// kinds came meanwhile: its own writes, another instance's messages, the subscription being
// confirmed, a lost and recovered pub/sub connection. A TCP proxy holds the reader's reply
// back, so the invalidation lands between Redis answering and the reader hearing the answer.
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { Cache } from '../../src/cache/index.js';
import { CacheLayout } from '../../src/cache/layout.js';
import type { RedisConnection } from '../../src/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';
import { watchSubscriber } from './helpers.js';

/**
 * A TCP proxy to `port`. The replies of the first connection it accepts (the client's command
 * connection; its subscriber connects later) can be held back and released; connections
 * accepted while new ones are paused reach Redis only once they are resumed.
 */
async function holdingProxy(port: number) {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let held: Buffer[] | undefined;
  let onHeld: (() => void) | undefined;
  let commandClient: Socket | undefined;
  let paused: (() => void)[] | undefined;
  const pipe = (client: Socket, first: boolean) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (first && held) {
        held.push(chunk);
        onHeld?.();
      } else if (!client.destroyed) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
  };
  const server = createServer((client) => {
    sockets.add(client);
    const first = accepted++ === 0;
    if (first) commandClient = client;
    if (paused) {
      client.pause();
      paused.push(() => pipe(client, first));
    } else pipe(client, first);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${proxyPort}`,
    /** Holds the command connection's replies from now on; resolves once one is held. */
    hold(): Promise<void> {
      held = [];
      return new Promise((resolve) => {
        onHeld = resolve;
      });
    },
    release(): void {
      const chunks = held ?? [];
      held = undefined;
      onHeld = undefined;
      for (const chunk of chunks) commandClient?.write(chunk);
    },
    pauseNew(): void {
      paused = [];
    },
    resumeNew(): void {
      const waiting = paused ?? [];
      paused = undefined;
      for (const start of waiting) start();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The messages on `key`'s invalidation channel (on one bucket, every key's), delivered by the
 * reader's own subscriber right after the reader's handler.
 */
async function messagesOf(connection: RedisConnection, key: string): Promise<string[]> {
  const messages: string[] = [];
  const { channel } = new CacheLayout(connection.keys('cache'), 1).of(key);
  await (await connection.subscriber()).subscribe(channel, (message) => messages.push(message));
  return messages;
}

// Far above the time a reply is held: a read that timed out would not fill L1 anyway.
const options = { ttlMs: 60_000, timeoutMs: 30_000, l1: { ttlMs: 60_000 } };

describe(`Cache L1 reads overlapping invalidations via ${driver}`, () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  /** A private server, a writer straight to it, and a reader with L1 behind a holding proxy. */
  async function setup() {
    const server = await startRedis();
    cleanup.push(() => server.stop());
    const proxy = await holdingProxy(server.port);
    cleanup.push(() => proxy.close());
    const readerSide = await privateConnection(proxy.url);
    const writerSide = await privateConnection(server);
    cleanup.push(readerSide.close, writerSide.close);
    // The command connection is up (its ready check answered) before any reply is held.
    await readerSide.connection.send(['PING']);
    const writer = new Cache({ connection: writerSide.connection, ...options, l1: undefined });
    return { proxy, reader: readerSide.connection, writer, writerConnection: writerSide.connection };
  }

  it.runIf(target === 'standalone')(
    "another instance's write lands while Redis's answer is on its way: the old value is returned once, never kept in L1",
    async () => {
      const { proxy, reader: connection, writer } = await setup();
      const reader = new Cache({ connection, ...options });
      await reader.ready();
      const messages = await messagesOf(connection, 'k');
      await writer.set('k', 'v1');
      await vi.waitFor(() => expect(messages).toHaveLength(1), { timeout: 5000 });
      const held = proxy.hold();
      const read = reader.get('k');
      await held;
      await writer.set('k', 'v2');
      await vi.waitFor(() => expect(messages).toHaveLength(2), { timeout: 5000 });
      proxy.release();
      expect(await read).toBe('v1');
      expect(await reader.get('k')).toBe('v2');
      await reader.close();
    },
  );

  it.runIf(target === 'standalone')(
    "its own delete and invalidateTag count as invalidations beside another instance's message",
    async () => {
      const { proxy, reader: connection, writer } = await setup();
      const reader = new Cache({ connection, ...options });
      await reader.ready();
      const messages = await messagesOf(connection, 'a');
      const about = (key: string) => messages.filter((m) => m.endsWith(`["${key}"]`)).length;
      for (const [key, own] of [
        ['a', () => reader.delete('other')],
        ['b', () => reader.invalidateTag('grp')],
      ] as const) {
        await writer.set(key, 'v1');
        await vi.waitFor(() => expect(about(key)).toBe(1), { timeout: 5000 });
        const held = proxy.hold();
        const read = reader.get(key);
        await held;
        // Counted at once; its commands' replies wait behind the held one.
        const invalidation = own();
        await writer.set(key, 'v2');
        await vi.waitFor(() => expect(about(key)).toBe(2), { timeout: 5000 });
        proxy.release();
        expect(await read).toBe('v1');
        await invalidation;
        expect(await reader.get(key), key).toBe('v2');
      }
      await reader.close();
    },
  );

  it.runIf(target === 'standalone')(
    'a read that began before the subscription was confirmed does not fill L1, even after another invalidation',
    async () => {
      const { proxy, reader: connection, writer } = await setup();
      await writer.set('k', 'v1');
      const held = proxy.hold();
      const reader = new Cache({ connection, ...options });
      // Begins before the subscription is confirmed.
      const read = reader.get('k');
      await held;
      await reader.ready();
      const messages = await messagesOf(connection, 'k');
      await writer.set('k', 'v2');
      await vi.waitFor(() => expect(messages).toHaveLength(1), { timeout: 5000 });
      proxy.release();
      expect(await read).toBe('v1');
      expect(await reader.get('k')).toBe('v2');
      await reader.close();
    },
  );

  it.runIf(target === 'standalone')(
    'a read across a lost and recovered pub/sub connection does not fill L1 with what it read before the loss',
    async () => {
      const { proxy, reader: connection, writer, writerConnection } = await setup();
      const reader = new Cache({ connection, ...options });
      await reader.ready();
      const messages = await messagesOf(connection, 'k');
      await writer.set('k', 'v1');
      await vi.waitFor(() => expect(messages).toHaveLength(1), { timeout: 5000 });
      const events = await watchSubscriber(connection);
      const held = proxy.hold();
      const read = reader.get('k');
      await held;
      // The subscriber cannot reconnect until resumed: the write below is published to nobody.
      proxy.pauseNew();
      await writerConnection.send(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      await vi.waitFor(() => expect(events).toContain('lost'), { timeout: 5000 });
      await writer.set('k', 'v2');
      proxy.resumeNew();
      await vi.waitFor(() => expect(events).toContain('back'), { timeout: 10_000 });
      expect(messages).toHaveLength(1);
      proxy.release();
      expect(await read).toBe('v1');
      expect(await reader.get('k')).toBe('v2');
      await reader.close();
    },
  );
});

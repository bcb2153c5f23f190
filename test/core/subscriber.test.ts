// The shared pub/sub connection: every handler of a channel waits for Redis's answer to its
// subscription, a refused subscription is forgotten (the next one asks again), and a closed
// connection opens no new pub/sub connection.
import { describe, expect, it, vi } from 'vitest';
import { RedisUnavailableError } from '../../src/index.js';
import { connectionWithoutChannels, privateConnection, privateServers } from '../harness/private-server.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';

describe.runIf(target === 'standalone')(`Shared subscriber via ${driver}`, () => {
  const startServer = privateServers();
  // Connections on a private server, closed after the file's tests.
  const closing = <T extends { close: () => void }>(side: T): T => {
    closeAfterAll({ close: async () => side.close() });
    return side;
  };

  async function server() {
    const s = await startServer();
    const admin = closing(await privateConnection(s));
    return { s, admin: admin.connection };
  }

  it('a refused subscription rejects every handler waiting on it, and the next subscribe asks Redis again', async () => {
    const { s, admin } = await server();
    // A user that may not use any channel yet.
    const side = closing(await connectionWithoutChannels(s, admin));
    const sub = await side.connection.subscriber();
    const got: string[] = [];
    const first = sub.subscribe('refills', (m) => got.push(`first ${m}`));
    // Sent while the first one's SUBSCRIBE is unanswered: it must not resolve as subscribed.
    const second = sub.subscribe('refills', (m) => got.push(`second ${m}`));
    await expect(first).rejects.toThrow();
    await expect(second).rejects.toThrow();
    await side.allowChannels();
    await sub.subscribe('refills', (m) => got.push(`third ${m}`));
    expect(await admin.send(['PUBSUB', 'NUMSUB', 'refills'])).toEqual(['refills', 1]);
    await admin.send(['PUBLISH', 'refills', 'rx-1']);
    await vi.waitFor(() => expect(got).toEqual(['third rx-1']), { timeout: 5000 });
  });

  it('after close(), subscriber() rejects with RedisUnavailableError and opens no connection', async () => {
    const { s, admin } = await server();
    const side = closing(await privateConnection(s));
    const clients = async () =>
      String(await admin.send(['CLIENT', 'LIST']))
        .trim()
        .split('\n').length;
    await (await side.connection.subscriber()).subscribe('refills', () => {});
    const open = await clients();
    await side.connection.close();
    // Its pub/sub connection is gone; the client given to it is the caller's and stays open.
    await vi.waitFor(async () => expect(await clients()).toBe(open - 1), { timeout: 5000 });
    await expect(side.connection.subscriber()).rejects.toBeInstanceOf(RedisUnavailableError);
    await new Promise((r) => setTimeout(r, 300));
    expect(await clients()).toBe(open - 1);
  });
});

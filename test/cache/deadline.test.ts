// One cache call waits at most `timeoutMs` for Redis, all its commands together, and every
// cache call uses the cache's `timeoutMs` (not the connection's much longer one).
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Cache, type CacheEvents } from '../../src/cache/index.js';
import { CommandTimeoutError } from '../../src/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver } from '../harness/redis.js';

// Far above every cache timeout below: a call that fell back to it would stand out.
const CONNECTION_TIMEOUT_MS = 10_000;

/** A TCP proxy to a Redis on `port` that holds every reply back `delayMs`: a Redis that answers slowly. */
async function slowProxy(port: number, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    // Same delay for every chunk: timers of one duration fire in order, so replies stay in order.
    upstream.on('data', (chunk) => setTimeout(() => client.destroyed || client.write(chunk), delayMs));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${proxyPort}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** How long `op` took, in ms. */
async function timed<T>(op: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await op();
  return { result, ms: performance.now() - started };
}

describe(`Cache deadline per call via ${driver}`, () => {
  const startServer = privateServers();

  it('frozen (SIGSTOP), no back-off: a wrap of a missing key waits for Redis once, not once per command', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: CONNECTION_TIMEOUT_MS });
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 600, offlineBackoffMs: 0 });
    const failures: CacheEvents['redisError'][0][] = [];
    cache.on('redisError', (e) => failures.push(e));
    try {
      await connection.send(['PING']);
      server.pause();
      // Before, the GET, the guard's SET NX and the store's SET waited 600 ms each (1.8 s);
      // now the three share one 600 ms and the store goes on in the background.
      const { result, ms } = await timed(() => cache.wrap('cold', async () => 'from-db'));
      expect(result).toBe('from-db');
      expect(ms).toBeGreaterThanOrEqual(500);
      expect(ms).toBeLessThan(1500);
      // One report per call: the GET that used up the time.
      expect(failures.map((f) => f.operation)).toEqual(['get']);
      expect(failures[0]?.error).toBeInstanceOf(CommandTimeoutError);

      // Every other call is bounded by the cache's timeoutMs too, not the connection's 10 s.
      const calls: [string, () => Promise<unknown>, (outcome: unknown) => void][] = [
        ['get', () => cache.get('k'), (r) => expect(r).toBeUndefined()],
        ['mget', () => cache.mget(['k', 'j']), (r) => expect(r).toEqual([undefined, undefined])],
        ['set', () => cache.set('k', 1), (r) => expect(r).toBe(false)],
        ['set (tagged)', () => cache.set('k', 1, { tags: ['t'] }), (r) => expect(r).toBe(false)],
        ['mset', () => cache.mset([{ key: 'k', value: 1 }]), (r) => expect(r).toBe(false)],
        ['delete', () => cache.delete('k').catch((e) => e), (r) => expect(r).toBeInstanceOf(CommandTimeoutError)],
        ['invalidateTag', () => cache.invalidateTag('t').catch((e) => e), (r) => expect(r).toBeInstanceOf(CommandTimeoutError)],
      ];
      for (const [name, call, check] of calls) {
        const { result: outcome, ms: took } = await timed(call);
        check(outcome);
        expect(took, name).toBeLessThan(1500);
      }
    } finally {
      server.resume();
      await cache.close();
      close();
    }
  });

  it('slow (every reply 800 ms late), no back-off: a wrap of a missing key still waits at most timeoutMs for Redis', async () => {
    const server = await startServer();
    const proxy = await slowProxy(server.port, 800);
    const { connection, close } = await privateConnection(proxy.url, { commandTimeoutMs: CONNECTION_TIMEOUT_MS });
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 1200, offlineBackoffMs: 0 });
    try {
      await connection.send(['PING']);
      // The GET answers after 800 ms; the guard's SET NX gets the 400 ms left and times out; the
      // loader's value is returned and stored in the background. Before, each command had its
      // own 1200 ms: GET + SET NX + SET took 2.4 s.
      const { result, ms } = await timed(() => cache.wrap('cold', async () => 'from-db'));
      expect(result).toBe('from-db');
      expect(ms).toBeGreaterThanOrEqual(1000);
      expect(ms).toBeLessThan(2100);
      // close() waits for the background store, which had its own 1200 ms and landed.
      await cache.close();
      expect(await cache.get('cold')).toBe('from-db');
    } finally {
      await cache.close();
      close();
      await proxy.close();
    }
  });
});

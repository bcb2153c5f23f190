// While Redis is down, the clients the library opens itself (the one connect() creates, a
// duplicate, the pub/sub connection) keep quiet: their commands report the outage as typed
// errors, and the driver neither logs every failed reconnect (ioredis, with no error
// listener) nor throws it as an unhandled 'error' event (node-redis).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisConnection } from '../../src/index.js';
import { privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`clients opened by the library during an outage via ${driver}`, () => {
  const startServer = privateServers();
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('log nothing while they try to reconnect', async () => {
    const server = await startServer();
    const owned = await RedisConnection.connect({ url: server.url, driver }, { commandTimeoutMs: 300 });
    const copy = await owned.duplicate();
    const sub = await owned.subscriber();
    await sub.subscribe(owned.keys('test').key('quiet'), () => {});
    expect(await copy.send(['PING'])).toBe('PONG');
    const logged = vi.spyOn(console, 'error');
    await server.kill();
    // Every client retries within 50 to a few hundred ms, and fails each time.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await Promise.all([copy.close(), owned.close()]);
    expect(logged.mock.calls.map((call) => String(call[0]))).toEqual([]);
  });
});

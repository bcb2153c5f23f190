// A connection that owns its client and is closed while its server is down is closed for good:
// a command sent afterwards is refused at once as unavailable, not queued for a reconnect that
// will never come (and then reported as a timeout).
import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, RedisConnection, RedisUnavailableError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { privateServers } from '../harness/private-server.js';
import { driver, rawClient, target, topology } from '../harness/redis.js';

const echo = defineScript<[], number>('test/close-echo', 'return 1', { keys: 1 });

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`closing an owned connection via ${driver}`, () => {
  const startServer = privateServers();

  async function refusedAtOnce(op: () => Promise<unknown>): Promise<void> {
    const started = Date.now();
    const error = await op().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, String(error)).toBeInstanceOf(RedisUnavailableError);
    // The command timeout is 5 s: a refusal comes long before it.
    expect(Date.now() - started).toBeLessThan(1000);
  }

  for (const down of [true, false]) {
    it(`refuses every later command as unavailable when the server is ${down ? 'down' : 'up'}`, async () => {
      const server = await startServer();
      const owned = await RedisConnection.connect({ url: server.url, driver }, { commandTimeoutMs: 5000 });
      expect(await owned.send(['PING'])).toBe('PONG');
      if (down) await server.kill();
      const started = Date.now();
      await owned.close();
      expect(Date.now() - started).toBeLessThan(1000);
      await refusedAtOnce(() => owned.send(['PING']));
      await refusedAtOnce(() => owned.pipeline([['PING'], ['PING']]));
      await refusedAtOnce(() => owned.run(echo, ['k'], []));
      await refusedAtOnce(() => owned.duplicate());
    });
  }

  it('ends a command still waiting for the server that went down within its own timeout', async () => {
    const server = await startServer();
    const owned = await RedisConnection.connect({ url: server.url, driver }, { commandTimeoutMs: 5000 });
    expect(await owned.send(['PING'])).toBe('PONG');
    await server.kill();
    const started = Date.now();
    const waiting = owned.send(['PING'], undefined, { timeoutMs: 800 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await owned.close();
    const error = await waiting;
    expect(error instanceof RedisUnavailableError || error instanceof CommandTimeoutError, String(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(800 + 1000);
  });

  it('does not connect again to its server once that is back', async () => {
    const server = await startServer();
    const owned = await RedisConnection.connect({ url: server.url, driver }, { commandTimeoutMs: 5000 });
    await owned.send(['CLIENT', 'SETNAME', 'closed-owned']);
    await server.kill();
    await owned.close();
    await server.restart();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const probe = await RedisConnection.connect({ url: server.url, driver });
    try {
      const clients = String(await probe.send(['CLIENT', 'LIST']));
      expect(clients.split('\n').filter(Boolean)).toHaveLength(1);
    } finally {
      await probe.close();
    }
  });
});

describe(`closing a connection on ${target} via ${driver}`, () => {
  it('that owns its client refuses later commands; one given a client keeps it usable but opens nothing new', async () => {
    const topo = topology();
    const owned = await RedisConnection.connect(
      target === 'cluster' ? { clusterNodes: topo.clusterNodes, driver } : { url: topo.standaloneUrl, driver },
    );
    expect(await owned.send(['SET', '{close}:k', 'v'], '{close}:k')).toBe('OK');
    await owned.close();
    await expect(owned.send(['GET', '{close}:k'], '{close}:k')).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(owned.subscriber()).rejects.toBeInstanceOf(RedisUnavailableError);

    const given = RedisConnection.from(await rawClient());
    await given.close();
    expect(await given.send(['GET', '{close}:k'], '{close}:k')).toBe('v');
    await expect(given.duplicate()).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(given.subscriber()).rejects.toBeInstanceOf(RedisUnavailableError);
    await given.send(['DEL', '{close}:k'], '{close}:k');
  });
});

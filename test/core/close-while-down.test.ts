// An owned connection closed while its server is down, with a command still waiting for the
// server to come back: close() cannot end gracefully (its QUIT waits behind that command), so
// it drops the client. The waiting command ends with its own timeout, not answered by a client
// that went on reconnecting; nor does a dropped pub/sub connection subscribe again.
import { describe, expect, it } from 'vitest';
import { CommandTimeoutError, RedisConnection, RedisUnavailableError } from '../../src/index.js';
import { privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';

/** The commands the (restarted) server has run so far, by name. */
async function commandsRun(connection: RedisConnection): Promise<string[]> {
  const info = String(await connection.send(['INFO', 'commandstats']));
  return [...info.matchAll(/^cmdstat_([^:]+):/gm)].map((m) => m[1] as string);
}

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`closing an owned connection with a command waiting via ${driver}`, () => {
  const startServer = privateServers();

  it('ends the waiting command unanswered, even once the server is back', async () => {
    const server = await startServer();
    const owned = await RedisConnection.connect({ url: server.url, driver }, { commandTimeoutMs: 5000 });
    expect(await owned.send(['PING'])).toBe('PONG');
    await server.kill();
    // Long enough for the client to see its socket close: a command sent before that fails at once.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const waiting = owned.send(['PING']).then(
      (reply) => reply,
      (e: unknown) => e,
    );
    await owned.close();
    await server.restart();
    // Within the command's timeout: a client still reconnecting would send it now and be answered.
    const ended = await waiting;
    expect(ended instanceof CommandTimeoutError || ended instanceof RedisUnavailableError, String(ended)).toBe(true);
  });

  it('drops the pub/sub connection with a subscription waiting: it does not subscribe again once the server is back', async () => {
    const server = await startServer();
    const owned = await RedisConnection.connect({ url: server.url, driver }, { commandTimeoutMs: 5000 });
    const sub = await owned.subscriber();
    const channel = owned.keys('test').key('closed-sub');
    await sub.subscribe(channel, () => {});
    await server.kill();
    // Long enough for the client to see its socket close: a command sent before that fails at once.
    await new Promise((resolve) => setTimeout(resolve, 200));
    void sub.subscribe(`${channel}:waiting`, () => {}).catch(() => {});
    await owned.close();
    await server.restart();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const probe = await RedisConnection.connect({ url: server.url, driver });
    try {
      expect(await commandsRun(probe)).not.toContain('subscribe');
    } finally {
      await probe.close();
    }
  });
});

// Many handlers of one channel share one Redis subscription: only the first handler sends a
// SUBSCRIBE, even when several subscribe at once. Counted in INFO commandstats of a private
// server, so that no other test's subscriptions are counted.
import { describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/index.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';

/** SUBSCRIBE calls the server has answered so far. */
async function subscribeCalls(connection: RedisConnection): Promise<number> {
  const info = String(await connection.send(['INFO', 'commandstats']));
  return Number(info.match(/^cmdstat_subscribe:calls=(\d+)/m)?.[1] ?? 0);
}

// A private standalone server on the project's driver: one topology runs it.
describe.runIf(target === 'standalone')(`one subscription per channel via ${driver}`, () => {
  const startServer = privateServers();

  it('a channel is subscribed once, however many handlers it has', async () => {
    const { connection, close } = await privateConnection(await startServer());
    closeAfterAll({
      close: async () => {
        await connection.close();
        close();
      },
    });
    const sub = await connection.subscriber();
    const channel = connection.keys('test').key('once');
    const heard: string[] = [];
    const before = await subscribeCalls(connection);
    await sub.subscribe(channel, (m) => heard.push(`first ${m}`));
    await sub.subscribe(channel, (m) => heard.push(`second ${m}`));
    await Promise.all([sub.subscribe(channel, (m) => heard.push(`third ${m}`)), sub.subscribe(channel, (m) => heard.push(`fourth ${m}`))]);
    expect((await subscribeCalls(connection)) - before).toBe(1);
    expect(await connection.publish(channel, 'm')).toBe(1);
    await expect.poll(() => heard.sort()).toEqual(['first m', 'fourth m', 'second m', 'third m']);
  });
});

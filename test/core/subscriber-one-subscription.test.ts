// Many handlers of one channel share one Redis subscription: only the first handler sends a
// SUBSCRIBE (SSUBSCRIBE when sharded), even when several subscribe at once.
import { describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

/** SUBSCRIBE and SSUBSCRIBE calls so far, summed over every primary. */
async function subscribeCalls(connection: RedisConnection): Promise<number> {
  let calls = 0;
  for (const node of await connection.client.primaries()) {
    const info = String(await node.send(['INFO', 'commandstats']));
    for (const m of info.matchAll(/^cmdstat_s?subscribe:calls=(\d+)/gm)) calls += Number(m[1]);
  }
  return calls;
}

// Standalone only: a cluster client's subscriber may sit on a replica, which the primaries
// counted here leave out.
describe.runIf(target === 'standalone')(`one subscription per channel via ${driver}`, () => {
  it('a channel is subscribed once, however many handlers it has', async () => {
    const connection = await testConnection();
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

// Unsubscribing from the shared pub/sub connection: one handler, every handler of a channel,
// or a channel never subscribed; Redis's subscription ends with the channel's last handler.
import { describe, expect, it } from 'vitest';
import { driver, target, testConnection } from '../harness/redis.js';

const settle = () => new Promise((r) => setTimeout(r, 100));

describe(`subscriber unsubscribe on ${target} via ${driver}`, () => {
  it('unsubscribe(channel, handler) keeps the others; unsubscribe(channel) drops every handler and the subscription', async () => {
    const connection = await testConnection();
    const sub = await connection.subscriber();
    const channel = connection.keys('test').key('unsub');
    const first: string[] = [];
    const second: string[] = [];
    const onFirst = (m: string) => first.push(m);
    await sub.subscribe(channel, onFirst);
    await sub.subscribe(channel, (m) => second.push(m));
    await sub.subscribe(channel, (m) => second.push(`again ${m}`));
    await sub.unsubscribe(channel, onFirst);
    expect(await connection.publish(channel, 'one')).toBe(1);
    await expect.poll(() => second).toEqual(['one', 'again one']);
    await sub.unsubscribe(channel);
    expect(await connection.publish(channel, 'two')).toBe(0);
    await settle();
    expect(first).toEqual([]);
    expect(second).toEqual(['one', 'again one']);
  });

  it('the last handler removed ends the Redis subscription', async () => {
    const connection = await testConnection();
    const sub = await connection.subscriber();
    const channel = connection.keys('test').key('last');
    const handler = () => {};
    await sub.subscribe(channel, handler);
    expect(await connection.publish(channel, 'x')).toBe(1);
    await sub.unsubscribe(channel, handler);
    expect(await connection.publish(channel, 'y')).toBe(0);
  });

  it('unsubscribing a channel never subscribed does nothing', async () => {
    const connection = await testConnection();
    const sub = await connection.subscriber();
    const channel = connection.keys('test').key('never');
    await expect(sub.unsubscribe(channel)).resolves.toBeUndefined();
    await expect(sub.unsubscribe(channel, () => {})).resolves.toBeUndefined();
  });
});

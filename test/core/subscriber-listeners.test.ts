// onDisconnect / onReconnect return the function that removes their listener.
import { describe, expect, it } from 'vitest';
import { driver, killPubSubConnections, target, testConnection } from '../harness/redis.js';

describe(`subscriber connection listeners on ${target} via ${driver}`, () => {
  it('a listener removed with the function it was given back hears no later loss or reconnect', async () => {
    const connection = await testConnection();
    const sub = await connection.subscriber();
    await sub.subscribe(connection.keys('test').key('listeners'), () => {});
    const heard: string[] = [];
    const offLost = sub.onDisconnect?.(() => heard.push('removed lost'));
    const offBack = sub.onReconnect?.(() => heard.push('removed back'));
    const back = new Promise<void>((resolve) => sub.onReconnect?.(resolve));
    sub.onDisconnect?.(() => heard.push('lost'));
    offLost?.();
    offBack?.();
    await killPubSubConnections(connection.client);
    await back;
    expect(heard).toContain('lost');
    expect(heard.filter((h) => h.startsWith('removed'))).toEqual([]);
  });
});

// Closing a subscriber ends its connection on purpose: that is no lost connection, so no
// onDisconnect listener hears of it, not even one added after close().
import { describe, expect, it } from 'vitest';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`a closed subscriber on ${target} via ${driver}`, () => {
  it('reports no loss when its own connection closes', async () => {
    const connection = await testConnection();
    const sub = await connection.client.createSubscriber();
    await sub.subscribe(connection.keys('test').key('closed-quiet'), () => {});
    const heard: string[] = [];
    sub.onDisconnect?.(() => heard.push('before close'));
    await sub.close();
    sub.onDisconnect?.(() => heard.push('after close'));
    sub.onReconnect?.(() => heard.push('back'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toEqual([]);
  });
});

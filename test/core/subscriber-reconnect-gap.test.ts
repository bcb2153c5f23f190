// While the shared pub/sub connection is lost, a new handler of a channel subscribed before the
// loss is not confirmed: its subscribe resolves only once the connection is back.
import { describe, expect, it } from 'vitest';
import { driver, killPubSubConnections, target, testConnection } from '../harness/redis.js';

describe(`subscriber reconnect gap on ${target} via ${driver}`, () => {
  it('a subscribe made while the connection is lost resolves after onReconnect, and its handler then receives', async () => {
    // Reconnects held down for 300 ms on a standalone ioredis client; node-redis and an ioredis
    // cluster come back at once, and the subscribe made meanwhile still waits for onReconnect.
    const connection = await testConnection({ reconnectDelayMs: 300 });
    const sub = await connection.subscriber();
    const channel = connection.keys('test').key('gap');
    await sub.subscribe(channel, () => {});
    const events: string[] = [];
    const lost = new Promise<void>((resolve) => sub.onDisconnect?.(resolve));
    sub.onDisconnect?.(() => events.push('lost'));
    sub.onReconnect?.(() => events.push('back'));
    await killPubSubConnections(connection.client);
    await lost;
    const got: string[] = [];
    await sub.subscribe(channel, (m) => got.push(m));
    expect(events).toContain('back');
    await expect.poll(async () => connection.publish(channel, 'after'), { timeout: 5000 }).toBeGreaterThan(0);
    await expect.poll(() => got.includes('after'), { timeout: 5000 }).toBe(true);
  });
});

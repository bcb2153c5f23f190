// subscriber() opens one pub/sub connection and shares it: every call, concurrent or later,
// gets the same Subscriber.
import { describe, expect, it } from 'vitest';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`the shared subscriber on ${target} via ${driver}`, () => {
  it('is one Subscriber for every call', async () => {
    const connection = await testConnection();
    const [a, b] = await Promise.all([connection.subscriber(), connection.subscriber()]);
    expect(b).toBe(a);
    expect(await connection.subscriber()).toBe(a);
  });
});

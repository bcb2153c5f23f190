// RedisConnection.from() recognizes what it is given: an adapter is used as it is, a raw
// ioredis or node-redis client gets its driver's adapter, anything else is refused.
import { describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/index.js';
import { driver, rawClient, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';

const NOT_A_CLIENT = /^client: expected an ioredis Redis\/Cluster or a node-redis client\/cluster\/sentinel$/;

describe(`client detection on ${target} via ${driver}`, () => {
  it('a raw client gets the adapter of its driver', async () => {
    const connection = RedisConnection.from(await rawClient());
    expect(connection.client.driver).toBe(driver);
    expect(connection.client.isCluster).toBe(target === 'cluster');
    expect(await connection.send(['PING'])).toBe('PONG');
  });

  it('an adapter is used as it is', async () => {
    const { client } = await testConnection();
    expect(RedisConnection.from(client).client).toBe(client);
  });

  it('refuses what is no client, naming the field', async () => {
    const fn = () => undefined;
    for (const notAClient of [
      null,
      undefined,
      {},
      { send: fn, primaries: fn },
      { pipeline: fn, primaries: fn },
      { send: fn, pipeline: fn },
      { pipeline: fn },
      { call: fn },
      { getMasterNode: fn, acquire: fn },
      { evalsha: fn },
    ]) {
      await expectInvalid(() => RedisConnection.from(notAClient as object), 'client', NOT_A_CLIENT);
    }
  });
});

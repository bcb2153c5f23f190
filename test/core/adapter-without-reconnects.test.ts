// `onReconnect` is optional on a RedisClient adapter (one that cannot tell leaves it out): a
// durable module on such an adapter still starts, has its eviction policy checked, and
// its connection closes.
import { describe, expect, it } from 'vitest';
import { type RedisClient, RedisConnection } from '../../src/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`an adapter without onReconnect on ${target} via ${driver}`, () => {
  it('takes a durable module, checks its eviction policy and closes', async () => {
    const { client } = await testConnection();
    const adapter: RedisClient = {
      driver: client.driver,
      isCluster: client.isCluster,
      send: (args, routeKey) => client.send(args, routeKey),
      pipeline: (commands, options) => client.pipeline(commands, options),
      primaries: () => client.primaries(),
      duplicate: () => client.duplicate(),
      createSubscriber: (options) => client.createSubscriber(options),
      close: async () => {},
    };
    for (const evictionCheck of ['warn', 'strict'] as const) {
      const connection = RedisConnection.from(adapter, { prefix: 'no-reconnects', evictionCheck });
      const key = connection.keys('ledger', { durable: true }).key('a');
      expect(await connection.send(['SET', key, '1', 'PX', 60_000], key)).toBe('OK');
      expect(await connection.checkEviction()).toMatchObject({ evicting: false, modulesAtRisk: [] });
      await connection.close();
    }
  });
});

// RedisConnection.connect() builds its own client: with ioredis when it is installed and no
// driver is asked for, else with the driver asked for.
import { describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/index.js';
import { closeAfterAll, driver, target, topology } from '../harness/redis.js';

describe(`connect() driver choice on ${target} via ${driver}`, () => {
  async function connect(options: { driver?: 'ioredis' | 'node-redis' }) {
    const connection = await RedisConnection.connect({ url: topology().standaloneUrl, ...options });
    closeAfterAll(connection);
    expect(await connection.send(['PING'])).toBe('PONG');
    return connection.client.driver;
  }

  it('uses ioredis by default when it is installed', async () => {
    expect(await connect({})).toBe('ioredis');
  });

  it('uses the driver asked for', async () => {
    expect(await connect({ driver: 'node-redis' })).toBe('node-redis');
    expect(await connect({ driver: 'ioredis' })).toBe('ioredis');
  });
  it('close() closes the client connect() created', async () => {
    const connection = await RedisConnection.connect(topology().standaloneUrl);
    expect(await connection.send(['PING'])).toBe('PONG');
    await connection.close();
    await expect(connection.client.send(['PING'])).rejects.toThrow();
  });
});

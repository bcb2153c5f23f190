// toConnection(), how modules take their `connection` option: a RedisConnection is used as it
// is (with its prefix and settings), a raw client is wrapped with default options.
import { describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/index.js';
import { toConnection } from '../../src/kit/index.js';
import { driver, rawClient, target, testConnection } from '../harness/redis.js';

describe(`toConnection on ${target} via ${driver}`, () => {
  it('keeps a RedisConnection and wraps a raw client', async () => {
    const connection = await testConnection();
    expect(toConnection(connection)).toBe(connection);
    const wrapped = toConnection(await rawClient());
    expect(wrapped).toBeInstanceOf(RedisConnection);
    expect(wrapped.prefix).toBe('');
    expect(await wrapped.send(['PING'])).toBe('PONG');
  });
});

// ioredis-mock has no generic `call`: the adapter sends each command through the mock's method
// of that name, refuses a command the mock lacks the way Redis refuses an unknown one, and
// keeps doing so on a duplicate of the connection.
import RedisMock from 'ioredis-mock';
import { describe, expect, it } from 'vitest';
import { RedisCommandError, RedisConnection } from '../../src/index.js';

describe('commands on ioredis-mock', () => {
  it('a command the mock lacks is refused as an unknown command', async () => {
    const connection = RedisConnection.from(new RedisMock(), { prefix: 'mock' });
    const error = await connection.send(['NOSUCHCOMMAND', 'x']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisCommandError);
    expect((error as Error).message).toBe("ERR unknown command 'NOSUCHCOMMAND'");
  });

  it('a duplicate of the connection runs commands through the mock too', async () => {
    const connection = RedisConnection.from(new RedisMock(), { prefix: 'mock' });
    const copy = await connection.duplicate();
    try {
      const key = copy.keys('test').key('dup');
      expect(await copy.send(['SET', key, 'v'])).toBe('OK');
      expect(
        await copy.pipeline([
          ['GET', key],
          ['STRLEN', key],
        ]),
      ).toEqual(['v', 1]);
    } finally {
      await copy.close();
    }
  });
});

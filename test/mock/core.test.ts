import RedisMock from 'ioredis-mock';
import { describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';

const incrBy = defineScript<[amount: number]>('mock/incr-by', "return redis.call('INCRBY', KEYS[1], ARGV[1])", { keys: 1 });

describe('core on ioredis-mock', () => {
  it('runs scripts, single commands and batches', async () => {
    const connection = RedisConnection.from(new RedisMock(), { prefix: 'mock' });
    const key = connection.keys('test').key('a');
    expect(await connection.run(incrBy, [key], [2])).toBe(2);
    expect(await connection.run(incrBy, [key], [3])).toBe(5);
    expect(await connection.send(['GET', key])).toBe('5');
    expect(
      await connection.pipeline([
        ['SET', `${key}:b`, 'x'],
        ['GET', `${key}:b`],
      ]),
    ).toEqual(['OK', 'x']);
  });
});

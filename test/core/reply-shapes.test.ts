// Only stream reads and member-score replies are put in RESP2's shape: any other command's
// nested reply passes unchanged, whatever its arguments.
import { describe, expect, it } from 'vitest';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`reply shapes of other commands on ${target} via ${driver}`, () => {
  it('a nested reply is not flattened because an argument reads WITHSCORES or WITHVALUES', async () => {
    const connection = await testConnection();
    for (const option of ['WITHSCORES', 'withvalues']) {
      expect(await connection.send(['EVAL', 'return {{1, 2}, {3}}', 0, option])).toEqual([[1, 2], [3]]);
    }
  });
});

// duplicate() gives a connection with the same settings: prefix (the same keys), serializer and
// reply timeout.
import { describe, expect, it } from 'vitest';
import { jsonSerializer, type Serializer } from '../../src/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`duplicate() settings on ${target} via ${driver}`, () => {
  it('keeps the prefix, serializer and command timeout', async () => {
    const serializer: Serializer = { ...jsonSerializer };
    const connection = await testConnection({ serializer, commandTimeoutMs: 1234 });
    const copy = await connection.duplicate();
    try {
      expect(copy.prefix).toBe(connection.prefix);
      expect(copy.keys('m').key('a')).toBe(connection.keys('m').key('a'));
      expect(copy.serializer).toBe(serializer);
      expect(copy.commandTimeoutMs).toBe(1234);
    } finally {
      await copy.close();
    }
  });
});

// run() refuses a call with another number of keys than the script declares (any number but
// none for a variadic one), naming the script, before anything is sent.
import { describe, expect, it } from 'vitest';
import { defineScript } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

const pair = defineScript<[]>('test/key-count-pair', 'return #KEYS', { keys: 2 });
const anyNumber = defineScript<[]>('test/key-count-any', 'return #KEYS', { keys: 'variadic' });

describe(`script key counts on ${target} via ${driver}`, () => {
  it('refuses too few or too many keys, naming the script and both counts, and sends nothing', async () => {
    const connection = await testConnection();
    const ks = connection.keys('test');
    const [a, b, c] = [ks.key('k', 'a'), ks.key('k', 'b'), ks.key('k', 'c')];
    const { byCommand } = await countCommands(connection, async () => {
      await expect(connection.run(pair, [a], [])).rejects.toThrow(/^script test\/key-count-pair takes 2 keys, got 1$/);
      await expect(connection.run(pair, [a, b, c], [])).rejects.toThrow(/^script test\/key-count-pair takes 2 keys, got 3$/);
      await expect(connection.run(anyNumber, [], [])).rejects.toThrow(/^script test\/key-count-any takes variadic keys, got 0$/);
    });
    expect(byCommand).toEqual({});
    expect(await connection.run(pair, [a, b], [])).toBe(2);
    expect(await connection.run(anyNumber, [a, b, c], [])).toBe(3);
  });
});

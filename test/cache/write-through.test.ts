import { describe, expect, it } from 'vitest';
import { Cache, writeThrough } from '../../src/cache/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';

describe(`writeThrough on ${target} via ${driver}`, () => {
  it('rejects a write that is not a function, and empty keys or tags, naming the field', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    await expectInvalid(() => writeThrough(cache, 'update' as never, {}), 'write', /function/);
    await expectInvalid(() => writeThrough(cache, async () => 1, { keys: [''] }), 'keys[]');
    await expectInvalid(() => writeThrough(cache, async () => 1, { tags: [''] }), 'tags[]');
  });

  it('touches only what it is given: keys alone send no tag invalidation, tags alone no delete', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    // Loads the delete script on the node of each key (they may sit on different cluster nodes),
    // so neither count below includes a NOSCRIPT retry.
    await cache.delete(['p:1', 'p:2']);
    await cache.set('p:1', 'old');
    await cache.set('list', ['old'], { tags: ['providers'] });
    const bareDelete = await countCommands(connection, () => cache.delete(['p:2']));
    const keysOnly = await countCommands(connection, () => writeThrough(cache, async () => 'a', { keys: ['p:1'] }));
    expect(keysOnly.result).toBe('a');
    expect(keysOnly.byCommand).toEqual(bareDelete.byCommand);
    expect(await cache.get('list')).toEqual(['old']);
    const nothing = await countCommands(connection, () => writeThrough(cache, async () => 'b', {}));
    expect(nothing.result).toBe('b');
    expect(nothing.total).toBe(0);
    expect(await writeThrough(cache, async () => 'c', { tags: ['providers'] })).toBe('c');
    expect(await cache.get('list')).toBeUndefined();
  });
});

// mget and mset as batches: the input they refuse (naming the field), an empty batch, and a
// batch read of keys whose store is still in flight.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { expectInvalid } from '../harness/validation.js';

describe(`Cache batches on ${target} via ${driver}`, () => {
  it('refuses a batch that is not an array, or an mset entry that is not an object, naming the field; nothing sent', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => cache.mget('k' as never), 'keys', /^keys: must be an array of strings$/);
      await expectInvalid(() => cache.mset('k' as never), 'entries', /^entries: must be an array$/);
      await expectInvalid(() => cache.mset([null] as never), 'entries[]', /^entries\[\]: must be \{ key, value, ttlMs\? \}$/);
      await expectInvalid(() => cache.mset(['k'] as never), 'entries[]');
    });
    expect(total).toBe(0);
  });

  it('an empty mset resolves true and an empty delete resolves at once: no command, no traced operation', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    let result: boolean | undefined;
    const { total } = await countCommands(connection, async () => {
      const seen = await tracedOperations('cache', async () => {
        result = await cache.mset([]);
        await cache.delete([]);
      });
      expect(seen).toEqual([]);
    });
    expect(result).toBe(true);
    expect(total).toBe(0);
  });

  it('mget right after a miss finds the entry, even when its store is retried as EVAL after NOSCRIPT', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    // The store's script missing on the server (as after a restart or failover): its EVALSHA
    // fails, and its EVAL is sent after an MGET that did not wait for it.
    for (const node of await connection.client.primaries()) await node.send(['SCRIPT', 'FLUSH']);
    expect(await cache.wrap('k', async () => 'v', { tags: ['ward:3'] })).toBe('v');
    expect(await cache.mget(['k'])).toEqual(['v']);
    await cache.close();
  });
});

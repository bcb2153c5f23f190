// broadcastInvalidations: false: writes and invalidations still work on Redis, but publish
// nothing, so another instance's L1 copy stays until its own TTL.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`Cache without broadcast invalidations on ${target} via ${driver}`, () => {
  it('set, mset and delete publish nothing; another instance keeps serving its L1 copy', async () => {
    const connection = await testConnection();
    const quiet = new Cache({ connection, ttlMs: 60_000, broadcastInvalidations: false });
    const other = new Cache({ connection, ttlMs: 60_000, l1: {} });
    await other.ready();
    await quiet.set('a', 'old', { tags: ['t'] });
    await quiet.mset([{ key: 'b', value: 'old' }]);
    expect(await other.mget(['a', 'b'])).toEqual(['old', 'old']); // now in other's L1
    const { byCommand } = await countCommands(connection, async () => {
      expect(await quiet.set('a', 'new', { tags: ['t'] })).toBe(true);
      expect(await quiet.mset([{ key: 'b', value: 'new' }])).toBe(true);
      await quiet.delete(['c']);
    });
    expect(byCommand.publish ?? 0).toBe(0);
    expect(byCommand.spublish ?? 0).toBe(0);
    expect(byCommand.set).toBe(2);
    // Redis has the new values; other's L1 was never told.
    expect(await quiet.mget(['a', 'b'])).toEqual(['new', 'new']);
    expect(await other.mget(['a', 'b'])).toEqual(['old', 'old']);
    await quiet.delete('a');
    expect(await quiet.get('a')).toBeUndefined();
    expect(await other.get('a')).toBe('old');
    await other.close();
  });

  it('invalidateTag, expireTag and clear publish nothing either', async () => {
    const connection = await testConnection();
    const quiet = new Cache({ connection, ttlMs: 60_000, staleWhileRevalidateMs: 10_000, broadcastInvalidations: false });
    await quiet.set('a', 1, { tags: ['t'] });
    await quiet.set('b', 1, { tags: ['u'] });
    const { result, byCommand } = await countCommands(connection, async () => [
      await quiet.invalidateTag('t'),
      await quiet.expireTag('u'),
      await quiet.clear(),
    ]);
    expect(result).toEqual([1, 1, 2]); // the clear: b and u's index
    expect(byCommand.publish ?? 0).toBe(0);
    expect(byCommand.spublish ?? 0).toBe(0);
  });
});

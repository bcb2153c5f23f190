// ready(), settled() and close() of a cache without an L1 tier or background work.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`Cache lifecycle on ${target} via ${driver}`, () => {
  it('without L1, ready() resolves at once and sends nothing', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const { total } = await countCommands(connection, () => cache.ready());
    expect(total).toBe(0);
    await cache.close();
  });
});

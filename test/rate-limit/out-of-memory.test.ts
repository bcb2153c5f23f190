// A full Redis (maxmemory reached, noeviction) refuses writes with OOM. It is not an outage: a
// limiter does not fail open on it unless told to, and a refused check wrote nothing. Redis
// checks a script only at its first write that could use memory, and only if the script has
// not written yet: the sliding log's script starts by deleting expired entries (a write that
// frees memory), so Redis lets it finish, and the sliding log keeps counting on a full server.
const servedWhenFull = new Set(['sliding log']);

import { afterAll, describe, expect, it } from 'vitest';
import { RedisOutOfMemoryError } from '../../src/index.js';
import { FixedWindowLimiter, type RateLimitResult } from '../../src/rate-limit/index.js';
import { type FullServer, modulesAtRiskAfter, startFullServer } from '../harness/full-server.js';
import { driver, target } from '../harness/redis.js';
import { algorithms } from './algorithms.js';

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`rate limits on a full Redis via ${driver}`, () => {
  let full: FullServer;
  afterAll(async () => full?.close());

  it('needs noeviction: a server that may evict reports rate-limit at risk', async () => {
    // An evicted counter would hand an identity a whole limit again.
    expect(await modulesAtRiskAfter((connection) => new FixedWindowLimiter({ connection, limit: 1, windowMs: 1000 }))).toEqual([
      'rate-limit',
    ]);
  });

  it('every algorithm rejects by default (oom-closed), opens only when told, throws when told, and writes nothing', async () => {
    full = await startFullServer('noeviction');
    const { connection } = full;
    for (const algorithm of algorithms) {
      const limiter = algorithm.make(connection, [[10, 60_000]], { name: `closed-${algorithm.name}` });
      const open = algorithm.make(connection, [[10, 60_000]], { name: `open-${algorithm.name}`, outOfMemoryPolicy: 'open' });
      const strict = algorithm.make(connection, [[10, 60_000]], { name: `throw-${algorithm.name}`, outOfMemoryPolicy: 'throw' });
      // Used once while Redis had room: each identity has state that a refused check must leave alone.
      for (const l of [limiter, open, strict]) expect((await l.check('patient-1')).allowed).toBe(true);
    }
    const before = await connection.send(['DBSIZE']);
    await full.fill();
    const filled = Number(await connection.send(['DBSIZE']));
    for (const algorithm of algorithms) {
      const limiter = algorithm.make(connection, [[10, 60_000]], { name: `closed-${algorithm.name}` });
      const open = algorithm.make(connection, [[10, 60_000]], { name: `open-${algorithm.name}`, outOfMemoryPolicy: 'open' });
      const strict = algorithm.make(connection, [[10, 60_000]], { name: `throw-${algorithm.name}`, outOfMemoryPolicy: 'throw' });
      const events: string[] = [];
      limiter.on('outOfMemory', ({ error, policy }) => events.push(`${error.code}:${policy}`));
      limiter.on('outage', () => events.push('outage'));
      if (servedWhenFull.has(algorithm.name)) {
        expect(await limiter.peek('patient-1'), algorithm.name).toMatchObject({ allowed: true, source: 'redis', remaining: 9 });
        continue;
      }
      const closed: RateLimitResult = await limiter.check('patient-1');
      expect(closed, algorithm.name).toMatchObject({ allowed: false, source: 'oom-closed' });
      expect(events).toEqual(['REDIS_OOM:closed']);
      expect(await open.check('patient-1'), algorithm.name).toMatchObject({ allowed: true, source: 'oom-open' });
      await expect(strict.check('patient-1'), algorithm.name).rejects.toBeInstanceOf(RedisOutOfMemoryError);
      // A new identity would need new keys: refused the same way, and nothing was created.
      expect((await limiter.check('patient-2')).source).toBe('oom-closed');
      // A peek writes nothing and still answers from Redis.
      expect((await limiter.peek('patient-1')).source).toBe('redis');
    }
    expect(Number(await connection.send(['DBSIZE']))).toBe(filled);
    await full.free();
    expect(Number(await connection.send(['DBSIZE']))).toBe(Number(before));
    for (const algorithm of algorithms) {
      const limiter = algorithm.make(connection, [[10, 60_000]], { name: `closed-${algorithm.name}` });
      // The refused checks took nothing: the second unit of patient-1 is taken now.
      expect(await limiter.check('patient-1'), algorithm.name).toMatchObject({ allowed: true, source: 'redis', remaining: 8 });
    }
  });
});

// Option validation and defaults of the cache, checked where they are resolved: each bad option names
// its own field before anything reaches Redis, and each documented default holds.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { type CacheOptions, type EntryPolicy, resolveOptions, resolvePolicy } from '../../src/cache/options.js';
import type { RedisConnection, Serializer } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';

/** `call` fails with a ValidationError naming `field`, with exactly `message`. */
async function expectError(call: () => unknown, field: string, message: string): Promise<void> {
  const escaped = message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await expectInvalid(call, field, new RegExp(`^${escaped}$`));
}

/** Each `[options, field, message]` fails `new Cache` with that error, and nothing reaches Redis. */
async function expectRejected(connection: RedisConnection, cases: [Partial<CacheOptions>, string, string][]): Promise<void> {
  const { total } = await countCommands(connection, async () => {
    for (const [options, field, message] of cases) {
      await expectError(() => new Cache({ connection, ttlMs: 1000, ...options } as CacheOptions), field, message);
    }
  });
  expect(total).toBe(0);
}

describe(`cache options on ${target} via ${driver}`, () => {
  it('missing or non-object options are a ValidationError on options, not a TypeError', async () => {
    for (const options of [undefined, null, 'ttlMs=1000', 42]) {
      await expectError(() => new Cache(options as never), 'options', 'options: are required');
    }
  });

  it('each cache-wide option is validated under its own name', async () => {
    const connection = await testConnection();
    await expectRejected(connection, [
      [{ ttlMs: 0 }, 'ttlMs', 'ttlMs: must be an integer > 0, got 0'],
      [{ negativeTtlMs: -1 }, 'negativeTtlMs', 'negativeTtlMs: must be an integer >= 0, got -1'],
      [{ staleWhileRevalidateMs: 1.5 }, 'staleWhileRevalidateMs', 'staleWhileRevalidateMs: must be an integer >= 0, got 1.5'],
      [{ earlyRefreshBeta: -0.5 }, 'earlyRefreshBeta', 'earlyRefreshBeta: must be a finite number >= 0, got -0.5'],
      [{ distributedLock: 'no' as never }, 'distributedLock', 'distributedLock: must be a boolean, got "no"'],
      [{ lockTtlMs: 0 }, 'lockTtlMs', 'lockTtlMs: must be an integer > 0, got 0'],
      [{ lockWaitMs: -1 }, 'lockWaitMs', 'lockWaitMs: must be an integer >= 0, got -1'],
      [{ timeoutMs: 0 }, 'timeoutMs', 'timeoutMs: must be an integer > 0, got 0'],
      [{ offlineBackoffMs: -1 }, 'offlineBackoffMs', 'offlineBackoffMs: must be an integer >= 0, got -1'],
      [{ buckets: 0 }, 'buckets', 'buckets: must be an integer > 0, got 0'],
      [{ l1: null as never }, 'l1', 'l1: must be an object or false'],
      [{ l1: true as never }, 'l1', 'l1: must be an object or false'],
      [{ l1: { maxEntries: 0 } }, 'l1.maxEntries', 'l1.maxEntries: must be an integer > 0, got 0'],
      [{ l1: { ttlMs: 0 } }, 'l1.ttlMs', 'l1.ttlMs: must be an integer > 0, got 0'],
      [{ broadcastInvalidations: 1 as never }, 'broadcastInvalidations', 'broadcastInvalidations: must be a boolean, got 1'],
      [{ loadTimeoutMs: -1 }, 'loadTimeoutMs', 'loadTimeoutMs: must be an integer >= 0, got -1'],
    ]);
  });

  it('a function carrying serialize and deserialize is not a serializer object', async () => {
    const connection = await testConnection();
    const callable = Object.assign(() => undefined, { serialize: JSON.stringify, deserialize: JSON.parse });
    await expectRejected(connection, [
      [
        { serializer: callable as unknown as Serializer },
        'serializer',
        'serializer: must be an object with serialize and deserialize functions',
      ],
    ]);
  });

  it('documented defaults: negativeTtlMs min(ttlMs, 10000), lock 5000 / wait 2x, timeout 500, back-off 1000, no L1', async () => {
    const connection = await testConnection();
    const o = resolveOptions({ connection, ttlMs: 60_000 });
    expect(o.policy).toEqual({ ttlMs: 60_000, negativeTtlMs: 10_000, graceMs: 0, beta: 0, tags: undefined });
    expect(o.guard).toEqual({ ttlMs: 5000, waitMs: 10_000 });
    expect(o.timeoutMs).toBe(500);
    expect(o.offlineBackoffMs).toBe(1000);
    expect(o.l1).toBeUndefined();
    expect(o.broadcast).toBe(true);
    expect(o.buckets).toBe(connection.client.isCluster ? 64 : 1);
    expect(o.namespace).toBeUndefined();
    expect(o.serializer).toBe(connection.serializer);
    expect(o.loadTimeoutMs).toBe(0);
    // Below 10 s the negative TTL follows ttlMs, and the wait follows a custom lockTtlMs.
    expect(resolveOptions({ connection, ttlMs: 3000 }).policy.negativeTtlMs).toBe(3000);
    expect(resolveOptions({ connection, ttlMs: 1000, lockTtlMs: 700 }).guard).toEqual({ ttlMs: 700, waitMs: 1400 });
  });

  it('l1: {} gets 1000 entries for 5000 ms; l1: false means no L1', async () => {
    const connection = await testConnection();
    expect(resolveOptions({ connection, ttlMs: 1000, l1: {} }).l1).toEqual({ maxEntries: 1000, ttlMs: 5000 });
    expect(resolveOptions({ connection, ttlMs: 1000, l1: false }).l1).toBeUndefined();
  });

  it('distributedLock: false drops the guard; broadcastInvalidations: false stops broadcasts', async () => {
    const connection = await testConnection();
    const off = resolveOptions({ connection, ttlMs: 1000, distributedLock: false, broadcastInvalidations: false });
    expect(off.guard).toBeUndefined();
    expect(off.broadcast).toBe(false);
  });

  it('each wrap option is validated under its own name, before anything is sent', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const wrap = (options: object) => () => cache.wrap('k', async () => 1, options);
    const { total } = await countCommands(connection, async () => {
      await expectError(wrap({ ttlMs: 0 }), 'ttlMs', 'ttlMs: must be an integer > 0, got 0');
      await expectError(wrap({ negativeTtlMs: -1 }), 'negativeTtlMs', 'negativeTtlMs: must be an integer >= 0, got -1');
      await expectError(
        wrap({ staleWhileRevalidateMs: -1 }),
        'staleWhileRevalidateMs',
        'staleWhileRevalidateMs: must be an integer >= 0, got -1',
      );
      await expectError(wrap({ earlyRefreshBeta: -1 }), 'earlyRefreshBeta', 'earlyRefreshBeta: must be a finite number >= 0, got -1');
      // A string is iterable: its characters must not pass as tags.
      await expectError(wrap({ tags: 'providers' }), 'tags', 'tags: must be an array of strings');
      await expectError(wrap({ tags: ['ok', ''] }), 'tags[]', 'tags[]: must be a non-empty string, got ""');
      await expectError(wrap({ tags: ['x'.repeat(1025)] }), 'tags[]', 'tags[]: must be at most 1024 bytes');
    });
    expect(total).toBe(0);
    // The documented maximum itself is accepted.
    expect(resolvePolicy(resolveOptions({ connection, ttlMs: 1000 }).policy, { tags: ['é'.repeat(512)] }).tags).toEqual(['é'.repeat(512)]);
  });

  it('per-call options override the cache defaults one by one; no or empty tags mean untagged', () => {
    const defaults: EntryPolicy = { ttlMs: 60_000, negativeTtlMs: 10_000, graceMs: 0, beta: 0, tags: undefined };
    expect(resolvePolicy(defaults, { earlyRefreshBeta: 1 })).toEqual({ ...defaults, beta: 1 });
    expect(resolvePolicy({ ...defaults, beta: 2 }, { ttlMs: 5000 })).toEqual({ ...defaults, beta: 2, ttlMs: 5000 });
    expect(resolvePolicy(defaults, { staleWhileRevalidateMs: 3000, negativeTtlMs: 0 })).toEqual({
      ...defaults,
      graceMs: 3000,
      negativeTtlMs: 0,
    });
    expect(resolvePolicy(defaults, { tags: [] }).tags).toBeUndefined();
    expect(resolvePolicy(defaults, { tags: ['a', 'b', 'a'] }).tags).toEqual(['a', 'b']);
  });
});

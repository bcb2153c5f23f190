import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection, ValidationError } from '../../src/index.js';
import { MAX_SYNC_BATCH, MAX_UPDATE_FIELDS, type OffloadRecord, OffloadStore, type SyncOptions, shardOf } from '../../src/offload/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { expectInvalid } from '../harness/validation.js';

async function store(options: { shards?: number; cleanTtlMs?: number } = {}) {
  const connection = await testConnection();
  // Open every node connection now: ioredis' ready check (INFO) must not land inside a command count.
  await Promise.all((await connection.client.primaries()).map((node) => node.send(['PING'])));
  return { connection, store: new OffloadStore({ connection, name: 'appointments', ...options }) };
}

/** A flush target that keeps the latest version of each record, like an upsert guarded by version. */
function fakeDb() {
  const rows = new Map<string, OffloadRecord>();
  const calls: OffloadRecord[][] = [];
  return {
    rows,
    calls,
    flush: async (records: OffloadRecord[]) => {
      calls.push(records);
      for (const r of records) if ((rows.get(r.id)?.version ?? 0) < r.version) rows.set(r.id, r);
    },
  };
}

describe(`OffloadStore on ${target} via ${driver}`, () => {
  it('merges field-level updates and bumps the version', async () => {
    const { store: s } = await store();
    expect(await s.update('a1', { status: 'booked', room: null })).toBe(1);
    expect(await s.update('a1', { status: 'checked-in', notes: { bp: '120/80' } })).toBe(2);
    expect(await s.get('a1')).toEqual({
      id: 'a1',
      version: 2,
      dirty: true,
      fields: { status: 'checked-in', room: null, notes: { bp: '120/80' } },
    });
    expect(await s.get('nope')).toBeNull();
  });

  it('sync drains every dirty record in batches and clears the dirty index', async () => {
    const { store: s } = await store({ shards: 4 });
    for (let i = 0; i < 25; i++) await s.update(`appt-${i}`, { status: 'booked', slot: i });
    await s.update('appt-3', { status: 'cancelled' });
    expect(await s.dirtyCount()).toBe(25);
    const db = fakeDb();
    const result = await s.sync(db.flush, { batchSize: 4 });
    expect(result).toMatchObject({ flushed: 25, cleared: 25, changedDuringFlush: 0, failed: 0, retries: 0, errors: [] });
    expect(Math.max(...db.calls.map((c) => c.length))).toBeLessThanOrEqual(4);
    expect(db.rows.size).toBe(25);
    expect(db.rows.get('appt-3')).toEqual({ id: 'appt-3', version: 2, fields: { status: 'cancelled', slot: 3 } });
    expect(await s.dirtyCount()).toBe(0);
    expect((await s.get('appt-3'))?.dirty).toBe(false);
    // Nothing left: a second sync flushes nothing.
    expect((await s.sync(db.flush)).flushed).toBe(0);
  });

  it('an update made during the flush is not lost: the record stays dirty and the next sync writes it', async () => {
    const { store: s } = await store({ shards: 1 });
    await s.update('a1', { status: 'booked' });
    await s.update('a2', { status: 'booked' });
    const db = fakeDb();
    const first = await s.sync(async (records) => {
      await db.flush(records);
      // Another instance changes a1 while the database write is in flight.
      await s.update('a1', { status: 'checked-in' });
    });
    expect(first).toMatchObject({ flushed: 2, cleared: 1, changedDuringFlush: 1 });
    expect(db.rows.get('a1')?.fields.status).toBe('booked');
    expect(await s.get('a1')).toMatchObject({ dirty: true, version: 2 });
    const second = await s.sync(db.flush);
    expect(second).toMatchObject({ flushed: 1, cleared: 1 });
    expect(db.rows.get('a1')).toMatchObject({ version: 2, fields: { status: 'checked-in' } });
    expect(await s.dirtyCount()).toBe(0);
  });

  it('never loses updates racing a running sync (many writers)', async () => {
    const { store: s } = await store({ shards: 3 });
    const db = fakeDb();
    const ids = Array.from({ length: 20 }, (_, i) => `r${i}`);
    let stop = false;
    const writes = new Map<string, number>();
    const writer = (async () => {
      for (let n = 1; !stop; n++) {
        await Promise.all(ids.map(async (id) => writes.set(id, await s.update(id, { n }))));
      }
    })();
    for (let i = 0; i < 5; i++) await s.sync(db.flush, { batchSize: 7 });
    stop = true;
    await writer;
    await s.sync(db.flush, { batchSize: 7 }); // writes stopped: this one drains everything
    expect(await s.dirtyCount()).toBe(0);
    for (const id of ids) {
      const stored = await s.get(id);
      expect(db.rows.get(id)?.version, id).toBe(writes.get(id));
      expect(db.rows.get(id)?.fields, id).toEqual(stored?.fields);
    }
  });

  it('retries a failing flush and keeps records dirty after the last attempt', async () => {
    const { store: s } = await store({ shards: 2 });
    for (let i = 0; i < 6; i++) await s.update(`x${i}`, { v: i });
    let failuresLeft = 2;
    const db = fakeDb();
    const flaky = async (records: OffloadRecord[]) => {
      if (failuresLeft-- > 0) throw new Error('db timeout');
      await db.flush(records);
    };
    const ok = await s.sync(flaky, { retryBaseMs: 1, maxAttempts: 3 });
    expect(ok).toMatchObject({ flushed: 6, cleared: 6, failed: 0, retries: 2 });

    await s.update('x1', { v: 10 });
    await s.update('x2', { v: 20 });
    const down = new Error('db down');
    const failed = await s.sync(
      async () => {
        throw down;
      },
      { retryBaseMs: 1, maxAttempts: 2 },
    );
    expect(failed.flushed).toBe(0);
    expect(failed.failed).toBe(2);
    expect(failed.errors.every((e) => e === down)).toBe(true);
    expect(await s.dirtyCount()).toBe(2);
    expect(await s.sync(db.flush)).toMatchObject({ flushed: 2, cleared: 2 });
    expect(db.rows.get('x2')?.fields.v).toBe(20);
  });

  it('dirty records never expire; synced ones expire after cleanTtlMs', async () => {
    const { connection, store: s } = await store({ shards: 1, cleanTtlMs: 60_000 });
    await s.update('t1', { a: 1 });
    const ks = connection.keys('offload');
    const key = ks.key('appointments#0', 'record', 't1');
    expect(await connection.send(['PTTL', key], key)).toBe(-1);
    await s.sync(async () => {});
    const pttl = Number(await connection.send(['PTTL', key], key));
    expect(pttl).toBeGreaterThan(50_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await s.update('t1', { a: 2 }); // dirty again: TTL removed
    expect(await connection.send(['PTTL', key], key)).toBe(-1);
  });

  it('clears dirty entries whose record vanished', async () => {
    const { connection, store: s } = await store({ shards: 1 });
    await s.update('gone', { a: 1 });
    const key = connection.keys('offload').key('appointments#0', 'record', 'gone');
    await connection.send(['DEL', key], key);
    const db = fakeDb();
    expect(await s.sync(db.flush)).toMatchObject({ flushed: 0, cleared: 1 });
    expect(db.calls).toHaveLength(0);
    expect(await s.dirtyCount()).toBe(0);
  });

  it('update and get are one round trip; sync costs three per batch', async () => {
    const { connection, store: s } = await store({ shards: 1 });
    await s.update('w', { a: 1 });
    await s.sync(async () => {});
    const update = await countCommands(connection, () => s.update('c1', { status: 'x', room: 2 }));
    expect(update.byCommand).toEqual({ evalsha: 1, hset: 1, hincrby: 1, persist: 1, time: 1, zadd: 1 });
    const get = await countCommands(connection, () => s.get('c1'));
    expect(get.byCommand).toEqual({ hgetall: 1, zscore: 1 });
    await s.update('c2', { a: 1 });
    await s.update('c3', { a: 1 });
    const sync = await countCommands(connection, () => s.sync(async () => {}, { batchSize: 10 }));
    // TIME, one batch (range, 3 reads, ack), then the empty range that ends the shard.
    expect(sync.byCommand).toMatchObject({ time: 1, zrangebyscore: 2, hgetall: 3, evalsha: 1 });
  });

  it('sets MAX_UPDATE_FIELDS (10,000) fields in one EVALSHA and rejects one more, sending nothing', async () => {
    const { connection, store: s } = await store({ shards: 1 });
    await s.update('wide', { warm: 1 });
    expect(MAX_UPDATE_FIELDS).toBe(10_000);
    const fields = Object.fromEntries(Array.from({ length: MAX_UPDATE_FIELDS }, (_, i) => [`f${i}`, i]));
    // 20,000 field and value arguments, more than one Lua `unpack` returns: the script sets them in chunks of whole pairs.
    const update = await countCommands(connection, () => s.update('wide', fields));
    expect(update.result).toBe(2);
    expect(update.byCommand).toEqual({ evalsha: 1, hset: 5, hincrby: 1, persist: 1, time: 1, zadd: 1 });
    const stored = await s.get('wide');
    expect(stored?.fields).toEqual({ warm: 1, ...fields });
    const over = await countCommands(connection, () =>
      expect(s.update('wide', { ...fields, oneMore: 1 })).rejects.toBeInstanceOf(ValidationError),
    );
    expect(over.byCommand).toEqual({});
    await expectInvalid(() => s.update('wide', { ...fields, oneMore: 1 }), 'fields', /must set at most 10000 fields, got 10001$/);
    // Fields set to undefined are not sent, so they do not count against the limit.
    expect(await s.update('wide', { ...fields, skipped: undefined })).toBe(3);
  });

  it('spreads records over shards, each shard in one slot', async () => {
    const { connection } = await store();
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[shardOf(`appt-${i}`, 16)]++;
    expect(Math.min(...counts)).toBeGreaterThan(50);
    expect(shardOf('appt-1', 16)).toBe(shardOf('appt-1', 16));
    const ks = connection.keys('offload');
    const tags = [ks.key('appointments#5', 'record', 'x:{y}'), ks.key('appointments#5', 'dirty')].map((k) => k.match(/\{[^}]*\}/)?.[0]);
    expect(new Set(tags).size).toBe(1);
  });

  it('rejects bad input before sending anything', async () => {
    const { connection, store: s } = await store();
    const { byCommand } = await countCommands(connection, async () => {
      for (const bad of [
        () => s.update('', { a: 1 }),
        () => s.update('x', {}),
        () => s.update('x', { _v: 3 }),
        () => s.update('x', { '': 3 }),
        () => s.update('x', [] as unknown as Record<string, unknown>),
        () => s.get(''),
        () => s.sync(async () => {}, { batchSize: 0 }),
        () => s.sync(async () => {}, { batchSize: 5000 }),
        () => s.sync(async () => {}, { maxAttempts: 0 }),
        () => s.sync(null as unknown as () => Promise<void>),
      ])
        await expect(bad()).rejects.toBeInstanceOf(ValidationError);
    });
    expect(byCommand).toEqual({});
    expect(() => new OffloadStore({ connection, name: 'x', shards: 0 })).toThrow(ValidationError);
    expect(() => new OffloadStore({ connection, name: 'x', cleanTtlMs: -1 })).toThrow(ValidationError);
  });

  it('names the bad field and what is wrong with it, before sending anything', async () => {
    const { connection, store: s } = await store();
    const noop = async () => {};
    const { byCommand } = await countCommands(connection, async () => {
      for (const [call, field, detail] of [
        [() => s.update('', { a: 1 }), 'id'],
        [() => s.update('x', null as unknown as Record<string, unknown>), 'fields', /must be a plain object/],
        [() => s.update('x', 'status' as unknown as Record<string, unknown>), 'fields', /must be a plain object/],
        [() => s.update('x', [] as unknown as Record<string, unknown>), 'fields', /must be a plain object/],
        [() => s.update('x', {}), 'fields', /must set at least one field/],
        [() => s.update('x', { a: undefined }), 'fields', /must set at least one field/],
        [() => s.update('x', { _v: 3 }), 'fields', /invalid field name "_v"/],
        [() => s.update('x', { '': 3 }), 'fields', /invalid field name ""/],
        [() => s.update('x', { '\uD800': 3 }), 'fields', /surrogates/],
        [() => s.get(''), 'id'],
        [() => s.sync(null as unknown as () => Promise<void>), 'flush', /must be a function/],
        [() => s.sync(noop, null as unknown as SyncOptions), 'options', /must be an object/],
        [() => s.sync(noop, 'fast' as unknown as SyncOptions), 'options', /must be an object/],
        [() => s.sync(noop, { batchSize: 0 }), 'batchSize'],
        [() => s.sync(noop, { batchSize: MAX_SYNC_BATCH + 1 }), 'batchSize', /must be at most 1000, got 1001/],
        [() => s.sync(noop, { maxAttempts: 0 }), 'maxAttempts'],
        [() => s.sync(noop, { retryBaseMs: -1 }), 'retryBaseMs'],
      ] as [() => Promise<unknown>, string, RegExp?][]) {
        await expectInvalid(call, field, detail);
      }
    });
    expect(byCommand).toEqual({});
    for (const [options, field, detail] of [
      [undefined, 'options', /object/],
      [null, 'options', /object/],
      ['appointments', 'options', /object/],
      [{ connection, name: '' }, 'name'],
      [{ connection, name: 'x', shards: 0 }, 'shards'],
      [{ connection, name: 'x', cleanTtlMs: -1 }, 'cleanTtlMs'],
    ] as [unknown, string, RegExp?][]) {
      await expectInvalid(() => new OffloadStore(options as ConstructorParameters<typeof OffloadStore>[0]), field, detail);
    }
  });

  it('syncs MAX_SYNC_BATCH records in one flush call', async () => {
    const { store: s } = await store({ shards: 1 });
    await Promise.all(Array.from({ length: MAX_SYNC_BATCH }, (_, i) => s.update(`r${i}`, { n: i })));
    const db = fakeDb();
    expect(await s.sync(db.flush, { batchSize: MAX_SYNC_BATCH })).toMatchObject({ flushed: MAX_SYNC_BATCH, cleared: MAX_SYNC_BATCH });
    expect(db.calls.map((c) => c.length)).toEqual([MAX_SYNC_BATCH]);
  });

  it('a failing flush is called exactly maxAttempts times, waiting retryBaseMs before the retry', async () => {
    const { store: s } = await store({ shards: 1 });
    await s.update('a', { v: 1 });
    let calls = 0;
    const started = Date.now();
    const result = await s.sync(
      async () => {
        calls++;
        throw null; // a flush may throw anything: the result still reports an Error
      },
      { maxAttempts: 2, retryBaseMs: 200 },
    );
    // One retry after 100 to 200 ms (the base delay with jitter).
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(calls).toBe(2);
    expect(result).toMatchObject({ flushed: 0, failed: 1, retries: 1 });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toBeInstanceOf(Error);
    expect((result.errors[0] as Error).message).toBe('flush failed');
    expect(await s.dirtyCount()).toBe(1);
  });

  it('keeps records in prefix:offload:{name#shard}:record:<id> and the dirty index in :dirty', async () => {
    const { connection, store: s } = await store({ shards: 4 });
    await s.update('appt-7', { status: 'booked' });
    const shard = shardOf('appt-7', 4);
    const ks = connection.keys('offload');
    const record = ks.key(`appointments#${shard}`, 'record', 'appt-7');
    const dirty = ks.key(`appointments#${shard}`, 'dirty');
    expect(await connection.send(['HGET', record, 'status'], record)).toBe('"booked"');
    expect(await connection.send(['ZSCORE', dirty, 'appt-7'], dirty)).not.toBeNull();
  });

  it('shards by FNV-1a of the id, so a store with another shard count sees only its own shards', async () => {
    // FNV-1a 32-bit test vectors: the full hash is the shard out of 2^32.
    expect(shardOf('', 2 ** 32)).toBe(0x811c9dc5);
    expect(shardOf('a', 2 ** 32)).toBe(0xe40c292c);
    expect(shardOf('foobar', 2 ** 32)).toBe(0xbf9cf968);
    const { connection, store: one } = await store({ shards: 1 });
    const two = new OffloadStore({ connection, name: 'appointments', shards: 2 });
    const ids = Array.from({ length: 8 }, (_, i) => `appt-${i}`);
    for (const id of ids) await two.update(id, { status: 'booked' });
    const inShard0 = ids.filter((id) => shardOf(id, 2) === 0).length;
    expect(inShard0).toBeGreaterThan(0);
    expect(inShard0).toBeLessThan(ids.length);
    expect(await two.dirtyCount()).toBe(ids.length);
    expect(await one.dirtyCount()).toBe(inShard0);
  });

  it('traces every operation on the offload channel, with the store as attribute', async () => {
    const { store: s } = await store({ shards: 1 });
    const seen = await tracedOperations('offload', async () => {
      await s.update('a', { v: 1 });
      await s.get('a');
      await s.dirtyCount();
      await s.sync(async () => {});
    });
    expect(seen.map((c) => c.operation)).toEqual(['update', 'get', 'dirtyCount', 'sync']);
    for (const c of seen) expect(c).toMatchObject({ module: 'offload', attributes: { store: 'appointments' } });
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the store at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new OffloadStore({ connection, name: 'appointments' }))).toEqual(['offload']);
  });

  it.runIf(target === 'standalone')('a frozen Redis gives CommandTimeoutError within the timeout, and nothing is flushed', async () => {
    const server = await startRedis();
    const connection = await RedisConnection.connect(server.url, { commandTimeoutMs: 500 });
    try {
      const s = new OffloadStore({ connection, name: 'down', shards: 1 });
      await s.update('a', { x: 1 });
      server.pause();
      const started = Date.now();
      await expect(s.update('a', { x: 2 })).rejects.toBeInstanceOf(CommandTimeoutError);
      let flushed = 0;
      const err = await s
        .sync(async () => {
          flushed++;
        })
        .catch((e) => e);
      expect(err).toBeInstanceOf(CommandTimeoutError);
      expect(flushed).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      server.resume();
      // Once Redis is back, the record is still dirty and the timed-out update may or may not have applied.
      expect((await s.get('a'))?.dirty).toBe(true);
    } finally {
      server.resume();
      await connection.close().catch(() => {});
      await server.stop();
    }
  });
});

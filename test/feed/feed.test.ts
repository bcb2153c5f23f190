import { describe, expect, it } from 'vitest';
import { Feed, type FeedItem } from '../../src/feed/index.js';
import { SerializationError, ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { expectTypedOutage } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { expectInvalid } from '../harness/validation.js';

interface Note {
  title: string;
}

const T0 = Date.UTC(2026, 2, 1, 9);

async function pageAll(feed: Feed<Note>, owner: string, limit: number): Promise<FeedItem<Note>[]> {
  const all: FeedItem<Note>[] = [];
  let before: string | undefined;
  do {
    const page = await feed.page(owner, before === undefined ? { limit } : { before, limit });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    all.push(...page.items);
    expect(all.length, 'paging does not end').toBeLessThan(1000);
    before = page.next ?? undefined;
  } while (before !== undefined);
  return all;
}

describe(`Feed on ${target} via ${driver}`, () => {
  it('adds idempotently by id, trims and refreshes the TTL in one EVALSHA', async () => {
    const connection = await testConnection();
    const feed = new Feed<Note>({ connection, maxItems: 3, ttlMs: 600_000 });
    await feed.add('p1', { id: 'a', at: T0, data: { title: 'A' } });
    const { result, byCommand } = await countCommands(connection, () => feed.add('p1', { id: 'b', at: T0 + 1, data: { title: 'B' } }));
    expect(result).toEqual({ added: true, trimmed: 0 });
    expect(byCommand.evalsha).toBe(1);
    expect(byCommand.eval).toBeUndefined();
    expect(await feed.add('p1', { id: 'a', at: T0 + 99, data: { title: 'changed' } })).toEqual({ added: false, trimmed: 0 });
    await feed.add('p1', { id: 'c', at: T0 + 2, data: { title: 'C' } });
    expect(await feed.add('p1', { id: 'd', at: T0 + 3, data: { title: 'D' } })).toEqual({ added: true, trimmed: 1 });
    const { items } = await feed.page('p1');
    expect(items.map((i) => [i.id, i.at, i.data.title])).toEqual([
      ['d', T0 + 3, 'D'],
      ['c', T0 + 2, 'C'],
      ['b', T0 + 1, 'B'],
    ]);
    const ks = connection.keys('feed');
    const payloads = ks.key('p1', 'payloads');
    expect(await connection.send(['HKEYS', payloads], payloads)).toHaveLength(3);
    for (const part of ['items', 'payloads']) {
      const ttl = Number(await connection.send(['PTTL', ks.key('p1', part)], ks.key('p1', part)));
      expect(ttl).toBeGreaterThan(500_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
    }
  });

  it('pages newest first with a stable cursor across equal timestamps, in one EVALSHA per page', async () => {
    const connection = await testConnection();
    const feed = new Feed<Note>({ connection });
    // 30 items on only 4 distinct milliseconds, added in a scrambled order.
    const ids = Array.from({ length: 30 }, (_, i) => `item-${String((i * 7) % 30).padStart(2, '0')}`);
    for (const [n, id] of ids.entries()) await feed.add('p', { id, at: T0 + (n % 4), data: { title: id } });
    const expected = ids
      .map((id, n) => ({ id, at: T0 + (n % 4) }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((i) => i.id);
    for (const limit of [1, 4, 7, 30, 50]) {
      expect((await pageAll(feed, 'p', limit)).map((i) => i.id)).toEqual(expected);
    }
    const first = await feed.page('p', { limit: 5 });
    const { byCommand } = await countCommands(connection, () => feed.page('p', { before: first.next as string, limit: 5 }));
    expect(byCommand.evalsha).toBe(1);
    expect(Object.keys(byCommand).filter((c) => c !== 'evalsha' && c !== 'zrange' && c !== 'zcount' && c !== 'hmget')).toEqual([]);
    // The cursor stays valid when the item it names is removed: paging continues after it.
    const cursorItem = first.items[4] as FeedItem<Note>;
    const removed = await countCommands(connection, () => feed.remove('p', cursorItem.id));
    expect(removed.result).toBe(true);
    expect(removed.byCommand).toEqual({ multi: 1, zrem: 1, hdel: 1, exec: 1 });
    expect(await feed.remove('p', cursorItem.id)).toBe(false);
    const after = await feed.page('p', { before: first.next as string, limit: 3 });
    expect(after.items.map((i) => i.id)).toEqual(expected.slice(5, 8));
    // An item added later at an older time shows up in its place, not on top.
    await feed.add('p', { id: 'late', at: T0 - 5, data: { title: 'late' } });
    expect((await pageAll(feed, 'p', 8)).map((i) => i.id)).toEqual([...expected.filter((id) => id !== cursorItem.id), 'late']);
  });

  it('trims more items in one add than one Lua unpack may carry, payloads included', async () => {
    const connection = await testConnection();
    const ks = connection.keys('feed');
    const items = ks.key('big', 'items');
    const payloads = ks.key('big', 'payloads');
    // Written raw: 9,000 items through add would only slow the test down.
    const ids = Array.from({ length: 9000 }, (_, i) => `old-${i}`);
    await connection.send(['ZADD', items, ...ids.flatMap((id, i) => [T0 + i, id])], items);
    await connection.send(['HSET', payloads, ...ids.flatMap((id) => [id, '"x"'])], payloads);
    const feed = new Feed<Note>({ connection, maxItems: 2 });
    const { result, byCommand } = await countCommands(connection, () =>
      feed.add('big', { id: 'new', at: T0 + 10_000, data: { title: 'new' } }),
    );
    expect(result).toEqual({ added: true, trimmed: 8999 });
    expect(byCommand.evalsha).toBe(1);
    expect(byCommand.hdel).toBe(3); // chunks of at most 4,000 fields
    expect(await feed.size('big')).toBe(2);
    expect(await connection.send(['HLEN', payloads], payloads)).toBe(2);
    expect((await feed.page('big')).items.map((i) => i.id)).toEqual(['new', 'old-8999']);
  });

  it('ids that sort differently by locale and by bytes page in Redis order', async () => {
    const feed = new Feed<Note>({ connection: await testConnection() });
    const ids = ['a', 'B', 'b', 'Z', 'é', 'e', '_', '10', '9'];
    for (const id of ids) await feed.add('p', { id, at: T0, data: { title: id } });
    const bytewise = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))).reverse();
    expect((await pageAll(feed, 'p', 2)).map((i) => i.id)).toEqual(bytewise);
  });

  it('fans out to many owners, each atomically, idempotent on retry', async () => {
    const connection = await testConnection();
    const feed = new Feed<Note>({ connection });
    const owners = Array.from({ length: 40 }, (_, i) => `patient-${i}`);
    await feed.add('patient-3', { id: 'msg-1', at: T0, data: { title: 'already' } });
    const { result, byCommand } = await countCommands(connection, () =>
      feed.fanOut([...owners, 'patient-5'], { id: 'msg-1', at: T0, data: { title: 'New message from Dr. Smith' } }),
    );
    expect(result.added).toHaveLength(39);
    expect(result.alreadyPresent).toEqual(['patient-3']);
    expect(byCommand.evalsha).toBe(40);
    const again = await feed.fanOut(owners, { id: 'msg-1', at: T0, data: { title: 'x' } });
    expect(again.added).toEqual([]);
    for (const owner of ['patient-0', 'patient-39']) {
      expect((await feed.page(owner)).items.map((i) => i.data.title)).toEqual(['New message from Dr. Smith']);
    }
    expect((await feed.page('patient-3')).items[0]?.data.title).toBe('already');
  });

  it('tracks unread items with a read marker that only moves forward', async () => {
    const connection = await testConnection();
    const feed = new Feed<Note>({ connection });
    expect(await feed.unreadCount('p')).toBe(0);
    expect(await feed.markRead('p')).toBe(0);
    for (let i = 0; i < 5; i++) await feed.add('p', { id: `n${i}`, at: T0 + i, data: { title: `${i}` } });
    expect(await feed.unreadCount('p')).toBe(5);
    const { items } = await feed.page('p', { limit: 5 });
    const { result, byCommand } = await countCommands(connection, () => feed.markRead('p', items[2]!.cursor)); // n2 and older read
    expect(result).toBe(2);
    expect(byCommand.evalsha).toBe(1);
    const counted = await countCommands(connection, () => feed.unreadCount('p'));
    expect(counted.result).toBe(2);
    expect(counted.byCommand.evalsha).toBe(1);
    // A stale device marking an older position does not move the marker back.
    expect(await feed.markRead('p', items[4]!.cursor)).toBe(2);
    // Same-millisecond items on both sides of the marker.
    await feed.add('p', { id: 'n1x', at: T0 + 2, data: { title: 'tie, sorts before n2' } });
    await feed.add('p', { id: 'n2x', at: T0 + 2, data: { title: 'tie, sorts after n2' } });
    expect(await feed.unreadCount('p')).toBe(3);
    // Removing the marked item keeps the count right.
    await feed.remove('p', 'n2');
    expect(await feed.unreadCount('p')).toBe(3);
    expect(await feed.markRead('p')).toBe(0);
    expect(await feed.unreadCount('p')).toBe(0);
    await feed.add('p', { id: 'n9', at: T0 + 9, data: { title: 'new' } });
    expect(await feed.unreadCount('p')).toBe(1);
  });

  it('an add keeps the read marker alive as long as the items: the unread count survives a quiet reader', async () => {
    const connection = await testConnection();
    const feed = new Feed<Note>({ connection, ttlMs: 600_000 });
    await feed.add('q', { id: 'a', at: T0, data: { title: 'A' } });
    await feed.markRead('q');
    const ks = connection.keys('feed');
    const marker = ks.key('q', 'read');
    // Age the marker as if the reader had been away; the next add must give it the feed's full TTL again.
    await connection.send(['PEXPIRE', marker, 5_000], marker);
    await feed.add('q', { id: 'b', at: T0 + 1, data: { title: 'B' } });
    const ttl = Number(await connection.send(['PTTL', marker], marker));
    expect(ttl).toBeGreaterThan(500_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect(await feed.unreadCount('q')).toBe(1);
  });

  it('lets an inactive feed expire entirely', async () => {
    const connection = await testConnection();
    const feed = new Feed<Note>({ connection, ttlMs: 1000 });
    await feed.add('p', { id: 'a', at: T0, data: { title: 'A' } });
    await feed.markRead('p');
    const ks = connection.keys('feed');
    for (const part of ['items', 'payloads', 'read']) {
      const ttl = Number(await connection.send(['PTTL', ks.key('p', part)], ks.key('p', part)));
      expect(ttl, part).toBeGreaterThan(0);
      expect(ttl, part).toBeLessThanOrEqual(1000);
    }
    await new Promise((r) => setTimeout(r, 1300));
    expect(await feed.size('p')).toBe(0);
    expect(await feed.unreadCount('p')).toBe(0);
    await feed.add('p', { id: 'b', at: T0, data: { title: 'B' } });
    await feed.clear('p');
    expect(await feed.size('p')).toBe(0);
  });

  it('rejects bad input before sending anything', async () => {
    const connection = await testConnection();
    const feed = new Feed<Note>({ connection });
    const ok = { id: 'x', at: T0, data: { title: 't' } };
    const { total } = await countCommands(connection, async () => {
      await expect(feed.add('', ok)).rejects.toThrow(ValidationError);
      await expect(feed.add('p', { ...ok, id: '' })).rejects.toThrow(ValidationError);
      await expect(feed.add('p', { ...ok, at: -1 })).rejects.toThrow(ValidationError);
      await expect(feed.add('p', { ...ok, at: 1.5 })).rejects.toThrow(ValidationError);
      await expect(feed.add('p', { ...ok, at: new Date('nope') })).rejects.toThrow(ValidationError);
      await expect(feed.add('p', { ...ok, data: undefined as unknown as Note })).rejects.toThrow(SerializationError);
      await expect(feed.fanOut(['a', ''], ok)).rejects.toThrow(ValidationError);
      await expect(feed.page('p', { limit: 0 })).rejects.toThrow(ValidationError);
      await expect(feed.page('p', { limit: 1001 })).rejects.toThrow(ValidationError);
      for (const before of ['', 'abc', ':x', '12:', '-1:x', '1.5:x']) {
        await expect(feed.page('p', { before })).rejects.toThrow(ValidationError);
      }
      await expect(feed.markRead('p', 'nope')).rejects.toThrow(ValidationError);
      await expect(feed.remove('p', '')).rejects.toThrow(ValidationError);
    });
    expect(total).toBe(0);
    expect(() => new Feed({ connection, maxItems: 0 })).toThrow(ValidationError);
    expect(() => new Feed({ connection, ttlMs: 0 })).toThrow(ValidationError);
    expect(() => new Feed({ connection, ttlMs: 0.5 })).toThrow(ValidationError);
  });

  it('names the bad field and what is wrong with it, before sending anything', async () => {
    const connection = await testConnection();
    const feed = new Feed<Note>({ connection });
    const ok = { id: 'x', at: T0, data: { title: 't' } };
    const { total } = await countCommands(connection, async () => {
      for (const [call, field, detail] of [
        [() => feed.add('', ok), 'ownerId'],
        [() => feed.add('p', null as unknown as typeof ok), 'item', /must be an object/],
        [() => feed.add('p', 'x' as unknown as typeof ok), 'item', /must be an object/],
        [() => feed.add('p', { ...ok, id: '' }), 'item.id'],
        [() => feed.add('p', { ...ok, at: -1 }), 'item.at'],
        [() => feed.fanOut('p' as unknown as string[], ok), 'ownerIds', /must be an array/],
        [() => feed.page('p', { limit: 0 }), 'limit'],
        [() => feed.page('p', { limit: 1001 }), 'limit', /must be at most 1000/],
        [() => feed.page('p', { before: 'abc' }), 'before', /is not a feed cursor/],
        [() => feed.page('p', { before: 42 as unknown as string }), 'before', /must be a cursor string/],
        [() => feed.markRead('p', 'nope'), 'upTo', /is not a feed cursor/],
        [() => feed.remove('p', ''), 'itemId'],
      ] as [() => Promise<unknown>, string, RegExp?][]) {
        await expectInvalid(call, field, detail);
      }
    });
    expect(total).toBe(0);
    for (const [options, field, detail] of [
      [undefined, 'options', /object/],
      [null, 'options', /object/],
      ['feed', 'options', /object/],
      [{ connection, maxItems: 0 }, 'maxItems'],
      [{ connection, ttlMs: 0 }, 'ttlMs'],
    ] as [unknown, string, RegExp?][]) {
      await expectInvalid(() => new Feed(options as ConstructorParameters<typeof Feed>[0]), field, detail);
    }
  });

  it('pages exactly the maximum limit, and next is null once nothing is left', async () => {
    const feed = new Feed<Note>({ connection: await testConnection() });
    for (let i = 0; i < 3; i++) await feed.add('p', { id: `n${i}`, at: T0 + i, data: { title: `${i}` } });
    const full = await feed.page('p', { limit: 1000 });
    expect(full.items.map((i) => i.id)).toEqual(['n2', 'n1', 'n0']);
    expect(full.next).toBeNull();
    // A page that takes exactly the remaining items is the last one.
    expect((await feed.page('p', { limit: 3 })).next).toBeNull();
    const first = await feed.page('p', { limit: 2 });
    expect(first.next).toBe(first.items[1]?.cursor);
    const last = await feed.page('p', { before: first.next as string, limit: 1 });
    expect(last.items.map((i) => i.id)).toEqual(['n0']);
    expect(last.next).toBeNull();
  });

  it('cursors of the first milliseconds of the epoch are valid', async () => {
    const feed = new Feed<Note>({ connection: await testConnection() });
    for (const [id, at] of [
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ] as const)
      await feed.add('p', { id, at, data: { title: id } });
    const { items } = await feed.page('p');
    expect(items.map((i) => i.cursor)).toEqual(['2:c', '1:b', '0:a']);
    expect((await feed.page('p', { before: '1:b' })).items.map((i) => i.id)).toEqual(['a']);
    expect((await feed.page('p', { before: '0:a' })).items).toEqual([]);
    expect(await feed.markRead('p', '0:a')).toBe(2);
    expect(await feed.markRead('p', '1:b')).toBe(1);
  });

  it('an item whose payload is gone reads as null data, whatever the serializer', async () => {
    // A versioned serializer, as an app might use: it cannot decode anything it did not write.
    const serializer = {
      serialize: (value: unknown) => `v1:${JSON.stringify(value)}`,
      deserialize: <T>(raw: string) => JSON.parse(raw.slice(3)) as T,
    };
    const connection = await testConnection({ serializer });
    const feed = new Feed<Note>({ connection });
    await feed.add('p', { id: 'kept', at: T0, data: { title: 'kept' } });
    await feed.add('p', { id: 'lost', at: T0 + 1, data: { title: 'lost' } });
    const payloads = connection.keys('feed').key('p', 'payloads');
    await connection.send(['HDEL', payloads, 'lost'], payloads);
    expect((await feed.page('p')).items.map((i) => [i.id, i.data])).toEqual([
      ['lost', null],
      ['kept', { title: 'kept' }],
    ]);
  });

  it('traces every operation on the feed channel', async () => {
    const feed = new Feed<Note>({ connection: await testConnection() });
    const seen = await tracedOperations('feed', async () => {
      await feed.add('p', { id: 'a', at: T0, data: { title: 'A' } });
      await feed.fanOut(['p', 'q'], { id: 'b', at: T0, data: { title: 'B' } });
      await feed.page('p');
      await feed.remove('p', 'a');
      await feed.markRead('p');
      await feed.unreadCount('p');
      await feed.size('p');
      await feed.clear('p');
    });
    expect(seen.map((c) => c.operation)).toEqual(['add', 'fanOut', 'page', 'remove', 'markRead', 'unreadCount', 'size', 'clear']);
    for (const c of seen) expect(c.module).toBe('feed');
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the feed at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new Feed({ connection }))).toEqual(['feed']);
  });

  // The private server is standalone whatever the target: run once per driver.
  it.runIf(target === 'standalone')('fails fast with a typed error when Redis is frozen or down', async () => {
    await expectTypedOutage((connection) => new Feed({ connection }).add('p', { id: 'a', data: 1 }));
  });
});

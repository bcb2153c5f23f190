// Feed.add and Feed.page against the client-side version users write without the library:
// add = MULTI of ZADD NX, HSET, ZREMRANGEBYRANK, PEXPIRE (one round trip, but trimmed
// payloads are never deleted and a re-added id overwrites its payload); page = ZRANGE
// BYSCORE REV LIMIT on a score-only cursor, then HMGET (two round trips, and items
// sharing a millisecond at a page edge are skipped). No peer library offers a feed.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Feed } from 'redis-patterns/feed';
import type { BenchContext } from './lib/types.js';

const MAX_ITEMS = 500;
const T0 = Date.UTC(2026, 0, 1);

export default async function feedBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const connection = RedisConnection.from(io, { prefix: 'bench' });
  const feed = new Feed<{ title: string }>({ connection, maxItems: MAX_ITEMS });
  const ks = connection.keys('feed');
  const data = { title: 'New message from Dr. Smith' };
  const ttlMs = 30 * 86_400_000;

  const naiveAdd = (owner: string, id: string, at: number) => {
    const items = `naive:feed:{${owner}}:items`;
    const payloads = `naive:feed:{${owner}}:payloads`;
    return io
      .multi()
      .zadd(items, 'NX', at, id)
      .hset(payloads, id, JSON.stringify(data))
      .zremrangebyrank(items, 0, -MAX_ITEMS - 1)
      .pexpire(items, ttlMs)
      .pexpire(payloads, ttlMs)
      .exec();
  };

  // One full feed to page through, for both versions.
  for (let n = 0; n < MAX_ITEMS; n++) {
    await feed.add('reader', { id: `item-${n}`, at: T0 + n * 1000, data });
    await naiveAdd('reader', `item-${n}`, T0 + n * 1000);
  }
  const cursors: (string | undefined)[] = [undefined];
  for (let page = await feed.page('reader', { limit: 20 }); page.next; page = await feed.page('reader', { before: page.next, limit: 20 })) {
    cursors.push(page.next);
  }
  const naivePage = async (i: number) => {
    const before = i % 25;
    const max = before === 0 ? '+inf' : `(${T0 + (MAX_ITEMS - before * 20) * 1000}`;
    const ids = (await io.zrange('naive:feed:{reader}:items', max, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 20)) as string[];
    const payloads = ids.length ? await io.hmget('naive:feed:{reader}:payloads', ...ids) : [];
    return ids.map((id, k) => ({ id, data: JSON.parse(payloads[k] as string) }));
  };

  try {
    for (const concurrency of [1, 50]) {
      await ctx.run({
        suite: 'feed',
        operation: 'add (idempotent, trim to 500, TTL)',
        library: 'naive MULTI',
        concurrency,
        op: (i) => naiveAdd(`o${i % 100}`, `c${concurrency}-${i}`, T0 + i),
      });
      await ctx.run({
        suite: 'feed',
        operation: 'add (idempotent, trim to 500, TTL)',
        library: 'redis-patterns',
        concurrency,
        op: (i) => feed.add(`o${i % 100}`, { id: `c${concurrency}-${i}`, at: T0 + i, data }),
        reference: 'naive MULTI',
      });
      await ctx.run({ suite: 'feed', operation: 'page of 20 with payloads', library: 'naive ZRANGE+HMGET', concurrency, op: naivePage });
      await ctx.run({
        suite: 'feed',
        operation: 'page of 20 with payloads',
        library: 'redis-patterns',
        concurrency,
        op: (i) => {
          const before = cursors[i % cursors.length];
          return feed.page('reader', before === undefined ? { limit: 20 } : { before, limit: 20 });
        },
        reference: 'naive ZRANGE+HMGET',
      });
    }
  } finally {
    await io.del(ks.key('reader', 'items'));
    await io.quit();
  }
}

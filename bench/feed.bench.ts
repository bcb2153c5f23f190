// Feed.add and Feed.page against the client-side version users write without the library:
// add = MULTI of ZADD NX, HSET, ZREMRANGEBYRANK, PEXPIRE (one round trip, but trimmed
// payloads are never deleted and a re-added id overwrites its payload); page = ZRANGE
// BYSCORE REV LIMIT on a score-only cursor, then HMGET (two round trips, and items
// sharing a millisecond at a page edge are skipped). No peer library offers a feed.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Feed } from 'redis-patterns/feed';
import type { BenchContext } from './lib/types.js';
import { versus } from './lib/versus.js';

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
  const page = (before: string | undefined) => feed.page('reader', before === undefined ? { limit: 20 } : { before, limit: 20 });

  try {
    for (const concurrency of [1, 50]) {
      // Adds are idempotent by id: each side counts its own ids, new over the whole comparison
      // (the op's `i` restarts every round, which would re-add ids already there).
      let naiveN = 0;
      let oursN = 0;
      const added = (add: (owner: string, id: string, at: number) => Promise<unknown>, n: number) =>
        add(`o${n % 100}`, `c${concurrency}-${n}`, T0 + n);
      await versus(ctx, 'feed', concurrency, {
        'add (idempotent, trim to 500, TTL)': [
          ['naive MULTI', () => added(naiveAdd, naiveN++)],
          ['redis-patterns', () => added((owner, id, at) => feed.add(owner, { id, at, data }), oursN++)],
        ],
        'page of 20 with payloads': [
          ['naive ZRANGE+HMGET', naivePage],
          ['redis-patterns', (i) => page(cursors[i % cursors.length])],
        ],
      });
    }
  } finally {
    await io.del(ks.key('reader', 'items'));
    await io.quit();
  }
}

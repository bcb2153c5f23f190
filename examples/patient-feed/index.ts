// Patient home feed: a clinic announcement fans out to every patient, personal items
// land in one feed, the app pages newest first and shows an unread badge.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Feed } from 'redis-patterns/feed';
import { check, withRedis } from '../_shared/redis.js';

interface FeedCard {
  kind: 'appointment' | 'message' | 'refill' | 'announcement';
  title: string;
}

await withRedis(async (url) => {
  const client = new Redis(url);
  const connection = RedisConnection.from(client, { prefix: 'clinic' });
  const feed = new Feed<FeedCard>({ connection, maxItems: 50, ttlMs: 30 * 86_400_000 });
  try {
    const patients = Array.from({ length: 200 }, (_, i) => `patient-${i}`);
    const t0 = Date.UTC(2026, 10, 20, 9);
    const announcement = { id: 'ann-flu-2026', at: t0, data: { kind: 'announcement', title: 'Flu shots available' } } as const;
    const fan = await feed.fanOut(patients, announcement);
    console.log(`announcement delivered to ${fan.added.length} feeds`);
    check(fan.added.length === 200, 'every patient got the announcement');
    const retry = await feed.fanOut(patients, announcement);
    check(retry.added.length === 0 && retry.alreadyPresent.length === 200, 'a retried fan-out adds nothing twice');

    const me = 'patient-7';
    await feed.add(me, { id: 'appt-991', at: t0 + 60_000, data: { kind: 'appointment', title: 'Upcoming appointment, Tue 10:00' } });
    await feed.add(me, { id: 'msg-17', at: t0 + 120_000, data: { kind: 'message', title: 'New message from Dr. Smith' } });
    await feed.add(me, { id: 'refill-3', at: t0 + 120_000, data: { kind: 'refill', title: 'Refill ready' } }); // same ms as msg-17
    console.log(`unread badge: ${await feed.unreadCount(me)}`);
    check((await feed.unreadCount(me)) === 4, 'four unread cards');

    const first = await feed.page(me, { limit: 2 });
    const second = await feed.page(me, { before: first.next as string, limit: 2 });
    const shown = [...first.items, ...second.items];
    for (const item of shown) console.log(`  ${new Date(item.at).toISOString()}  ${item.data.title}`);
    check(shown.length === 4 && second.next === null, 'two pages hold the whole feed');
    check(new Set(shown.map((i) => i.id)).size === 4, 'no card twice, even with equal timestamps');

    // Mark read what the patient saw (up to the newest card shown), not what arrived since.
    await feed.add(me, { id: 'msg-18', at: t0 + 180_000, data: { kind: 'message', title: 'Lab results are in' } });
    const left = await feed.markRead(me, first.items[0]?.cursor);
    console.log(`marked the shown cards read; ${left} arrived meanwhile and is still unread`);
    check(left === 1, 'only the card that arrived after the page was shown is unread');
    check((await feed.markRead(me)) === 0, 'marking everything read clears the badge');
  } finally {
    await client.quit();
  }
});

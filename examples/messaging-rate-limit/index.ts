// Rate-limited patient messaging: an Express server accepts "send a message to your care
// team" requests, at most 5 per 2 seconds and 12 per minute per patient (both limits checked
// in one atomic script call). A client hammers it; the example prints the 429s and the
// RateLimit-* / Retry-After headers, and checks every claim it makes.
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { rateLimitMiddleware, SlidingWindowLogLimiter } from 'redis-patterns/rate-limit';
import { check, withRedis } from '../_shared/redis.js';

await withRedis(async (url) => {
  const redis = new Redis(url);
  const connection = RedisConnection.from(redis, { prefix: 'clinic' });
  const messages = new SlidingWindowLogLimiter({
    connection,
    name: 'messages',
    limits: [
      { limit: 5, windowMs: 2000 },
      { limit: 12, windowMs: 60_000 },
    ],
  });

  const app = express();
  app.post('/patients/:id/messages', rateLimitMiddleware<Request>(messages, { key: (req) => `patient:${req.params.id}` }), (req, res) => {
    res.status(201).json({ sent: true, patient: req.params.id });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const send = (patient: string) => fetch(`${base}/patients/${patient}/messages`, { method: 'POST' });
  const show = (r: Response) =>
    `${r.status} RateLimit-Limit=${r.headers.get('ratelimit-limit')} Remaining=${r.headers.get('ratelimit-remaining')} Reset=${r.headers.get('ratelimit-reset')}s${
      r.headers.get('retry-after') ? ` Retry-After=${r.headers.get('retry-after')}s` : ''
    }`;

  try {
    console.log('patient 42 sends 8 messages in a row (limit 5 per 2 s):');
    const burst: Response[] = [];
    for (let i = 0; i < 8; i++) burst.push(await send('42'));
    for (const r of burst) console.log(`  ${show(r)}`);
    check(burst.filter((r) => r.status === 201).length === 5, 'exactly 5 of 8 accepted');
    const rejected = burst.filter((r) => r.status === 429);
    check(rejected.length === 3, '3 rejected with 429');
    check(
      rejected.every((r) => Number(r.headers.get('retry-after')) >= 1 && r.headers.get('ratelimit-remaining') === '0'),
      'every 429 carries Retry-After and RateLimit-Remaining: 0',
    );
    console.log('  429 body:', await rejected[0]?.json());

    const other = await send('7');
    console.log(`patient 7 is not affected: ${show(other)}`);
    check(other.status === 201, 'another patient keeps their own budget');

    console.log('patient 99 fires 50 requests at once:');
    const crowd = await Promise.all(Array.from({ length: 50 }, () => send('99')));
    const accepted = crowd.filter((r) => r.status === 201).length;
    console.log(`  ${accepted} accepted, ${50 - accepted} rejected`);
    check(accepted === 5, 'exactly 5 of 50 concurrent requests accepted');

    const wait = Number(rejected.at(-1)?.headers.get('retry-after'));
    console.log(`patient 42 waits the advertised Retry-After (${wait} s) and sends again:`);
    await new Promise((r) => setTimeout(r, wait * 1000));
    const again: Response[] = [];
    for (let i = 0; i < 5; i++) again.push(await send('42'));
    for (const r of again) console.log(`  ${show(r)}`);
    check(
      again.every((r) => r.status === 201),
      'after Retry-After the short window is whole again',
    );

    // 10 of the 12 per minute are used; two more fit before the minute limit binds.
    await new Promise((r) => setTimeout(r, 2100));
    const more: Response[] = [];
    for (let i = 0; i < 3; i++) more.push(await send('42'));
    for (const r of more) console.log(`  ${show(r)}`);
    check(more.map((r) => r.status).join() === '201,201,429', 'the per-minute limit (12) binds after 12 messages');
    const minute = more[2] as Response;
    check(minute.headers.get('ratelimit-limit') === '12', 'the 429 reports the limit that rejected (12 per minute)');
    check(Number(minute.headers.get('retry-after')) > 2, 'and asks to wait for the minute window, not the 2 s one');

    const { remaining, limits } = await messages.peek('patient:42');
    console.log(`peek (takes nothing): remaining ${remaining}, per limit ${limits.map((l) => `${l.remaining}/${l.limit}`).join(', ')}`);
    check(remaining === 0, 'peek agrees: nothing left this minute');
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await redis.quit();
  }
});

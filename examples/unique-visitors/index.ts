// Unique visitors of the patient portal: distinct patients per day and over the last week
// (HyperLogLog), logins per minute (windowed counter), and "was the onboarding survey
// already sent?" (Bloom filter; the Lua bit array when the server has no RedisBloom).
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { AtomicCounter, BloomFilter, UniqueCounter } from 'redis-patterns/counters';
import { check, withRedis } from '../_shared/redis.js';

const DAY = 86_400_000;
const dayAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

await withRedis(async (url) => {
  const redis = new Redis(url);
  const connection = RedisConnection.from(redis, { prefix: 'portal' });
  try {
    const visitors = new UniqueCounter({ connection, retentionDays: 30 });
    // 7 days: 400 regulars visit daily, 100 different newcomers each day.
    for (let d = 6; d >= 0; d--) {
      const ids = [...Array.from({ length: 400 }, (_, i) => `patient-${i}`), ...Array.from({ length: 100 }, (_, i) => `new-${d}-${i}`)];
      await visitors.track('portal', ids, { day: dayAgo(d) });
    }
    const today = await visitors.count('portal');
    const week = await visitors.countRange('portal', dayAgo(6), dayAgo(0));
    console.log(`unique visitors today: ${today} (exact 500), last 7 days: ${week} (exact 1100)`);
    check(Math.abs(today - 500) <= 15, 'the daily count is within 3% of the truth');
    check(Math.abs(week - 1100) <= 33, 'the weekly count merges days and counts regulars once');

    const logins = new AtomicCounter({ connection, windowMs: 60_000, windows: 60 });
    await Promise.all(Array.from({ length: 250 }, () => logins.increment('logins')));
    const lastHour = await logins.total('logins');
    console.log(`logins in the last hour: ${lastHour}`);
    check(lastHour === 250, 'concurrent increments are all counted');

    const surveyed = new BloomFilter({ connection, name: 'onboarding-survey', capacity: 10_000, errorRate: 0.01 });
    console.log(`bloom backend: ${await surveyed.backend()} (${surveyed.size.bits} bits, ${surveyed.size.hashes} hashes)`);
    const sent = Array.from({ length: 1000 }, (_, i) => `patient-${i}`);
    await surveyed.addMany(sent);
    const again = await surveyed.existsMany(sent);
    check(again.every(Boolean), 'every patient who got the survey is remembered (no false negatives)');
    const others = await surveyed.existsMany(Array.from({ length: 1000 }, (_, i) => `other-${i}`));
    const falsePositives = others.filter(Boolean).length;
    console.log(`false positives among 1000 other patients: ${falsePositives}`);
    check(falsePositives < 30, 'false positives stay near the requested 1%');
  } finally {
    await redis.quit();
  }
});

// Adherence streaks: a weekly check-in streak that survives the year end (ISO week 53)
// and a daily medication streak in New York across the spring DST change, with one
// forgiven missed day.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Streaks } from 'redis-patterns/streaks';
import { check, withRedis } from '../_shared/redis.js';

await withRedis(async (url) => {
  const client = new Redis(url);
  const connection = RedisConnection.from(client, { prefix: 'clinic' });
  try {
    const weekly = new Streaks({ connection, period: 'week' });
    const checkIns = [
      '2026-12-14T18:00:00Z',
      '2026-12-23T18:00:00Z',
      '2026-12-31T18:00:00Z',
      '2027-01-02T09:00:00Z',
      '2027-01-06T18:00:00Z',
    ];
    let last = { current: 0, longest: 0, status: '', lastPeriod: '' };
    for (const at of checkIns) {
      last = await weekly.record('patient-7', 'check-in', new Date(at), { timeZone: 'Europe/Berlin' });
      console.log(`check-in ${at}: ${last.lastPeriod} ${last.status}, streak ${last.current}`);
    }
    check(last.current === 4 && last.longest === 4, 'a 4-week streak across 2026-W53 into 2027-W01');
    check((await weekly.history('patient-7', 'check-in')).join(',') === '2027-W01,2026-W53,2026-W52,2026-W51', 'history lists the weeks');

    const daily = new Streaks({ connection, period: 'day', grace: 1, timeZone: 'America/New_York' });
    // Evening doses; 2026-03-08 is the DST change (a 23-hour day), 2026-03-10 is missed.
    const doses = [
      '2026-03-06T21:00:00-05:00',
      '2026-03-07T21:00:00-05:00',
      '2026-03-08T21:00:00-04:00',
      '2026-03-09T21:00:00-04:00',
      '2026-03-11T21:00:00-04:00',
    ];
    for (const at of doses) {
      const r = await daily.record('patient-7', 'evening-dose', new Date(at));
      console.log(`dose ${at}: ${r.lastPeriod}, streak ${r.current}`);
    }
    const now = await daily.get('patient-7', 'evening-dose', new Date('2026-03-12T12:00:00-04:00'));
    check(now.current === 5, 'the DST day counts once and one missed day is forgiven');
    const later = await daily.get('patient-7', 'evening-dose', new Date('2026-03-14T12:00:00-04:00'));
    check(later.current === 0 && later.longest === 5, 'two missed days break the streak, the longest stays');
  } finally {
    await client.quit();
  }
});

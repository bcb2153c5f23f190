// Adherence leaderboard: patients earn points for check-ins; a standing board and a weekly
// board rank them, ties going to whoever reached the score first.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Leaderboard, periodOf } from 'redis-patterns/leaderboard';
import { check, withRedis } from '../_shared/redis.js';

await withRedis(async (url) => {
  const redis = new Redis(url);
  const connection = RedisConnection.from(redis, { prefix: 'clinic' });
  try {
    const allTime = new Leaderboard({ connection, name: 'adherence' });
    const weekly = new Leaderboard({ connection, name: 'adherence', period: 'weekly' });

    const checkIns: [string, number][] = [
      ['ana', 10],
      ['ben', 10],
      ['cy', 5],
      ['dee', 15],
      ['ana', 5],
      ['eve', 20],
      ['ben', 5],
      ['fay', 3],
    ];
    for (const [patient, points] of checkIns) {
      const [total] = await Promise.all([allTime.increment(patient, points), weekly.increment(patient, points)]);
      console.log(`${patient} +${points} -> ${total.score} points, rank ${total.rank}`);
    }

    const top = await allTime.top(3);
    console.log('top 3:', top.map((e) => `${e.rank}. ${e.member} (${e.score})`).join(', '));
    // ana reached 15 before ben did, and dee reached 15 before both.
    check(top.map((e) => e.member).join() === 'eve,dee,ana', 'ties go to the patient who reached the score first');
    const ben = await allTime.rank('ben');
    check(ben?.rank === 4 && ben.score === 15, 'ben is 4th with 15 points');

    const around = await allTime.around('cy', 1);
    console.log('around cy:', around?.map((e) => `${e.rank}. ${e.member}`).join(', '));
    check(around?.map((e) => e.member).join() === 'ben,cy,fay', 'around() shows the neighbours');

    const page = await allTime.page(2, 2);
    console.log(`page 2 of ${Math.ceil(page.total / 2)}:`, page.entries.map((e) => e.member).join(', '));
    check(page.total === 6 && page.entries.map((e) => e.rank).join() === '3,4', 'page 2 holds ranks 3 and 4');

    const weeklyTop = await weekly.top(1);
    check(weeklyTop[0]?.member === 'eve', 'the weekly board ranks the same week');
    const weekKey = connection.keys('leaderboard').key('adherence', periodOf('weekly', new Date()).id, 'scores');
    const ttl = await redis.pttl(weekKey);
    console.log(`weekly board expires in ${(ttl / 86_400_000).toFixed(1)} days`);
    check(ttl > 0 && ttl <= 35 * 86_400_000, 'the weekly board expires by itself');
  } finally {
    await redis.quit();
  }
});

import { describe, expect, it } from 'vitest';
import { Streaks, type StreaksOptions } from '../../src/streaks/index.js';
import { countCommands } from '../harness/command-counter.js';
import { expectTypedOutage } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectScriptsNamedAfterFiles } from '../harness/scripts.js';
import { expectInvalid } from '../harness/validation.js';

const NY = { timeZone: 'America/New_York' };

describe(`Streaks on ${target} via ${driver}`, () => {
  it('records one day per call in one EVALSHA, idempotent within the day', async () => {
    const connection = await testConnection();
    const streaks = new Streaks({ connection });
    await streaks.record('u1', 'check-in', Date.UTC(2026, 0, 1, 8)); // warms the script cache
    const { result, byCommand } = await countCommands(connection, () => streaks.record('u1', 'check-in', Date.UTC(2026, 0, 2, 9)));
    expect(result).toEqual({ current: 2, longest: 2, status: 'counted', lastPeriod: '2026-01-02' });
    expect(byCommand.evalsha).toBe(1);
    expect(byCommand.eval).toBeUndefined();
    const again = await countCommands(connection, () => streaks.record('u1', 'check-in', Date.UTC(2026, 0, 2, 23, 59)));
    expect(again.result).toEqual({ current: 2, longest: 2, status: 'duplicate', lastPeriod: '2026-01-02' });
    expect(again.byCommand.evalsha).toBe(1);
    expect(again.byCommand.hset).toBeUndefined();
  });

  it('restarts a broken streak at 1 and keeps the longest', async () => {
    const streaks = new Streaks({ connection: await testConnection() });
    for (const day of [1, 2, 3]) await streaks.record('u', 'k', Date.UTC(2026, 4, day, 12));
    const broken = await streaks.record('u', 'k', Date.UTC(2026, 4, 5, 12));
    expect(broken).toMatchObject({ current: 1, longest: 3, status: 'counted' });
    const next = await streaks.record('u', 'k', Date.UTC(2026, 4, 6, 12));
    expect(next).toMatchObject({ current: 2, longest: 3 });
  });

  it('ignores records older than the last one', async () => {
    const streaks = new Streaks({ connection: await testConnection() });
    await streaks.record('u', 'k', Date.UTC(2026, 4, 10));
    const late = await streaks.record('u', 'k', Date.UTC(2026, 4, 9));
    expect(late).toEqual({ current: 1, longest: 1, status: 'stale', lastPeriod: '2026-05-10' });
  });

  it('forgives up to `grace` missed periods', async () => {
    const streaks = new Streaks({ connection: await testConnection(), grace: 2 });
    await streaks.record('u', 'k', Date.UTC(2026, 4, 1));
    expect((await streaks.record('u', 'k', Date.UTC(2026, 4, 4))).current).toBe(2); // 2 days missed
    expect((await streaks.record('u', 'k', Date.UTC(2026, 4, 8))).current).toBe(1); // 3 days missed
    expect(await streaks.get('u', 'k', Date.UTC(2026, 4, 11))).toEqual({ current: 1, longest: 2, lastPeriod: '2026-05-08' });
    expect(await streaks.get('u', 'k', Date.UTC(2026, 4, 12))).toEqual({ current: 0, longest: 2, lastPeriod: '2026-05-08' });
  });

  it('uses local days: 23-hour and 25-hour days at DST changes are one period each', async () => {
    const streaks = new Streaks({ connection: await testConnection() });
    // 2026-03-08 00:30 EST and 2026-03-09 00:30 EDT are 23 hours apart but on consecutive local days.
    await streaks.record('u', 'spring', Date.parse('2026-03-08T00:30:00-05:00'), NY);
    const spring = await streaks.record('u', 'spring', Date.parse('2026-03-09T00:30:00-04:00'), NY);
    expect(spring).toMatchObject({ current: 2, status: 'counted', lastPeriod: '2026-03-09' });
    // 2026-11-01 00:10 EDT and 23:50 EST are 24 h 40 min apart but the same local day.
    await streaks.record('u', 'fall', Date.parse('2026-11-01T00:10:00-04:00'), NY);
    const fall = await streaks.record('u', 'fall', Date.parse('2026-11-01T23:50:00-05:00'), NY);
    expect(fall).toMatchObject({ current: 1, status: 'duplicate', lastPeriod: '2026-11-01' });
    // The same instant is a different day in UTC: the time zone decides.
    const utc = new Streaks({ connection: streaks.connection });
    await utc.record('u', 'fall', Date.parse('2026-11-01T00:10:00-04:00'));
    expect((await utc.record('u', 'fall', Date.parse('2026-11-01T23:50:00-05:00'))).current).toBe(2);
  });

  it('counts ISO weeks across the year end, including week 53', async () => {
    const streaks = new Streaks({ connection: await testConnection(), period: 'week' });
    await streaks.record('u', 'k', Date.UTC(2026, 11, 22, 12)); // Tue 2026-W52
    const w53 = await streaks.record('u', 'k', Date.UTC(2027, 0, 1, 12)); // Fri 2027-01-01 is in 2026-W53
    expect(w53).toMatchObject({ current: 2, lastPeriod: '2026-W53' });
    expect((await streaks.record('u', 'k', Date.UTC(2027, 0, 3, 23))).status).toBe('duplicate'); // Sunday, still W53
    const w1 = await streaks.record('u', 'k', Date.UTC(2027, 0, 4, 0, 30)); // Monday 2027-W01
    expect(w1).toMatchObject({ current: 3, lastPeriod: '2027-W01' });
    expect(await streaks.history('u', 'k')).toEqual(['2027-W01', '2026-W53', '2026-W52']);
    // Sunday 23:30 in Auckland is already Monday of the next week there, while still Sunday in UTC.
    const late = await streaks.record('v', 'k', Date.UTC(2027, 0, 10, 11, 30), { timeZone: 'Pacific/Auckland' });
    expect(late.lastPeriod).toBe('2027-W02');
    expect((await streaks.record('w', 'k', Date.UTC(2027, 0, 10, 11, 30))).lastPeriod).toBe('2027-W01');
  });

  it('keeps the history bounded and the keys on a TTL', async () => {
    const connection = await testConnection();
    const streaks = new Streaks({ connection, historyLimit: 3, ttlMs: 1_000_000 });
    for (let d = 1; d <= 6; d++) await streaks.record('u', 'k', Date.UTC(2026, 5, d));
    expect(await streaks.history('u', 'k')).toEqual(['2026-06-06', '2026-06-05', '2026-06-04']);
    // Older periods are dropped from Redis, not just left unread.
    const history = connection.keys('streaks').key('u', 'k', 'day', 'history');
    expect(await connection.send(['ZCARD', history], history)).toBe(3);
    for (const part of ['state', 'history']) {
      const key = connection.keys('streaks').key('u', 'k', 'day', part);
      const ttl = Number(await connection.send(['PTTL', key], key));
      expect(ttl).toBeGreaterThan(900_000);
      expect(ttl).toBeLessThanOrEqual(1_000_000);
    }
    await streaks.reset('u', 'k');
    expect(await streaks.get('u', 'k')).toEqual({ current: 0, longest: 0, lastPeriod: null });
  });

  it('counts concurrent records of one period once', async () => {
    const streaks = new Streaks({ connection: await testConnection() });
    await streaks.record('u', 'k', Date.UTC(2026, 6, 1));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => streaks.record('u', 'k', Date.UTC(2026, 6, 2, 0, i))));
    expect(results.filter((r) => r.status === 'counted')).toHaveLength(1);
    expect(results.every((r) => r.current === 2)).toBe(true);
  });

  it('rejects bad input before sending anything, naming the offending argument', async () => {
    const connection = await testConnection();
    const streaks = new Streaks({ connection });
    const bad: [() => unknown, string][] = [
      [() => streaks.record('', 'k', Date.now()), 'userId'],
      [() => streaks.record('u', '', Date.now()), 'kind'],
      [() => streaks.record('u', 'k', new Date('nope')), 'at'],
      [() => streaks.record('u', 'k', Number.NaN), 'at'],
      // A date string is neither a Date nor epoch ms, even one that Date would parse.
      [() => streaks.record('u', 'k', '2026-01-01' as unknown as number), 'at'],
      [() => streaks.record('u', 'k', Date.now(), { timeZone: 'Mars/Olympus' }), 'timeZone'],
      // Only a string names a zone, even an object that Intl would turn into one.
      [() => streaks.record('u', 'k', Date.now(), { timeZone: new String('UTC') as unknown as string }), 'timeZone'],
      [() => streaks.get('u', 'k', Date.now(), { timeZone: 'Nowhere' }), 'timeZone'],
      [() => streaks.history('u', 'k', 0), 'limit'],
    ];
    const { total } = await countCommands(connection, async () => {
      for (const [call, field] of bad) await expectInvalid(call, field);
    });
    expect(total).toBe(0);
    const options: [Partial<StreaksOptions>, string][] = [
      [{ period: 'month' as 'day' }, 'period'],
      [{ grace: -1 }, 'grace'],
      [{ historyLimit: 0 }, 'historyLimit'],
      [{ ttlMs: 0 }, 'ttlMs'],
      [{ ttlMs: 1.5 }, 'ttlMs'],
      [{ timeZone: 'Bad/Zone' }, 'timeZone'],
    ];
    for (const [option, field] of options) await expectInvalid(() => new Streaks({ connection, ...option }), field);
  });

  it('names its script after its file', () => {
    expectScriptsNamedAfterFiles('streaks');
  });

  // The private server is standalone whatever the target: run once per driver.
  it.runIf(target === 'standalone')('fails fast with a typed error when Redis is frozen or down', async () => {
    await expectTypedOutage((connection) => new Streaks({ connection }).record('u', 'k', Date.now()));
  });
});

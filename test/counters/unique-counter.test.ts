import { describe, expect, it } from 'vitest';
import { MAX_TRACK_MEMBERS, UniqueCounter } from '../../src/counters/index.js';
import { ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { readyConnection, tagOf } from './helpers.js';

const DAY = 86_400_000;
const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

describe(`UniqueCounter on ${target} via ${driver}`, () => {
  it('counts distinct members per day within HyperLogLog error', async () => {
    const connection = await readyConnection();
    const uc = new UniqueCounter({ connection });
    expect(await uc.track('portal', 'p1')).toBe(true);
    expect(await uc.track('portal', 'p1')).toBe(false);
    expect(await uc.count('portal')).toBe(1);
    const ids = Array.from({ length: 5000 }, (_, i) => `patient-${i}`);
    for (let i = 0; i < ids.length; i += 1000) await uc.track('portal', ids.slice(i, i + 1000));
    await uc.track('portal', ids.slice(0, 2000)); // repeats change nothing
    const n = await uc.count('portal');
    expect(Math.abs(n - 5000) / 5000).toBeLessThan(0.03); // 0.81% standard error: 3% is > 3.5 sigma
    expect(await uc.count('other')).toBe(0);
  });

  it('merges a range of days in one PFCOUNT, counting a member seen on several days once', async () => {
    const connection = await readyConnection();
    const uc = new UniqueCounter({ connection });
    for (let d = 0; d < 7; d++) {
      // 100 regulars every day, plus 50 who come only on that day.
      await uc.track(
        'visits',
        [...Array.from({ length: 100 }, (_, i) => `reg-${i}`), ...Array.from({ length: 50 }, (_, i) => `d${d}-${i}`)],
        {
          day: daysAgo(d),
        },
      );
    }
    expect(await uc.count('visits', { day: daysAgo(3) })).toBeGreaterThanOrEqual(147);
    const { result, byCommand } = await countCommands(connection, () => uc.countRange('visits', daysAgo(6), today()));
    expect(byCommand).toEqual({ pfcount: 1 });
    expect(Math.abs(result - 450) / 450).toBeLessThan(0.03);
    expect(Math.abs((await uc.countRange('visits', daysAgo(1), today())) - 200)).toBeLessThanOrEqual(6);
    expect(await uc.countRange('visits', daysAgo(30), daysAgo(20))).toBe(0);
  });

  it('track is one EVALSHA, and each day key expires retentionDays after the day ends', async () => {
    const connection = await readyConnection();
    const uc = new UniqueCounter({ connection, retentionDays: 3 });
    await uc.track('c', 'warm');
    // A day relative to now, so the expiry is in the future whatever the date the suite runs on.
    const day = daysAgo(2);
    const { byCommand } = await countCommands(connection, () => uc.track('c', ['a', 'b'], { day }));
    expect(byCommand).toEqual({ evalsha: 1, pfadd: 1, pexpireat: 1 });
    const key = connection.keys('counters').key('c', 'unique', day);
    expect(Number(await connection.send(['PEXPIRETIME', key], key))).toBe(Date.parse(`${day}T00:00:00Z`) + DAY + 3 * DAY);
    const { byCommand: count } = await countCommands(connection, () => uc.count('c', { day: new Date(`${day}T23:00:00Z`) }));
    expect(count).toEqual({ pfcount: 1 });
    expect(await uc.count('c', { day })).toBe(2);
    // Every day of one counter shares one hash tag (one slot): that is what makes the range one command.
    expect(tagOf(connection.keys('counters').key('c', 'unique', '2026-01-01'))).toBe(tagOf(key));
  });

  it('tracks the oldest day still retained and rejects a day whose counter has expired, sending nothing', async () => {
    const connection = await readyConnection();
    const uc = new UniqueCounter({ connection, retentionDays: 3 });
    await uc.track('c', 'warm');
    // daysAgo(3) ends 3 days before the end of today: its key lives until midnight UTC tonight.
    const oldest = daysAgo(3);
    expect(await uc.track('c', 'm', { day: oldest })).toBe(true);
    const key = connection.keys('counters').key('c', 'unique', oldest);
    expect(Number(await connection.send(['PEXPIRETIME', key], key))).toBe(Date.parse(`${today()}T00:00:00Z`) + DAY);
    const { byCommand } = await countCommands(connection, async () => {
      await expect(uc.track('c', 'm', { day: daysAgo(4) })).rejects.toBeInstanceOf(ValidationError);
      await expect(uc.track('c', 'm', { day: new Date(Date.now() - 400 * DAY) })).rejects.toBeInstanceOf(ValidationError);
    });
    expect(byCommand).toEqual({});
    expect(await uc.count('c', { day: daysAgo(4) })).toBe(0);
  });

  it('tracks MAX_TRACK_MEMBERS (10,000) members in one EVALSHA and rejects one more, sending nothing', async () => {
    const connection = await readyConnection();
    const uc = new UniqueCounter({ connection });
    await uc.track('big', 'warm');
    expect(MAX_TRACK_MEMBERS).toBe(10_000);
    const members = Array.from({ length: MAX_TRACK_MEMBERS }, (_, i) => `patient-${i}`);
    // More members than one Lua `unpack` returns (~8,000): the script adds them in chunks.
    const { result, byCommand } = await countCommands(connection, () => uc.track('big', members));
    expect(result).toBe(true);
    expect(byCommand).toEqual({ evalsha: 1, pfadd: 3, pexpireat: 1 });
    expect(Math.abs((await uc.count('big')) - 10_001) / 10_001).toBeLessThan(0.03);
    expect(await uc.track('big', members)).toBe(false);
    const over = await countCommands(connection, () =>
      expect(uc.track('big', [...members, 'one-more'])).rejects.toBeInstanceOf(ValidationError),
    );
    expect(over.byCommand).toEqual({});
  });

  it('rejects bad input before sending anything', async () => {
    const connection = await readyConnection();
    const uc = new UniqueCounter({ connection });
    const { byCommand } = await countCommands(connection, async () => {
      for (const bad of [
        () => uc.track('', 'a'),
        () => uc.track('c', []),
        () => uc.track('c', ['a', '']),
        () => uc.track('c', 'a', { day: '2026-02-30' }),
        () => uc.track('c', 'a', { day: '22/11/2026' }),
        () => uc.count('c', { day: new Date(Number.NaN) }),
        () => uc.countRange('c', '2026-11-22', '2026-11-01'),
        () => uc.countRange('c', '2024-01-01', '2026-01-01'),
      ])
        await expect(bad()).rejects.toBeInstanceOf(ValidationError);
    });
    expect(byCommand).toEqual({});
    expect(() => new UniqueCounter({ connection, retentionDays: 0 })).toThrow(ValidationError);
  });
});

import { describe, expect, it } from 'vitest';
import {
  AtomicCounter,
  BloomConfigError,
  BloomFilter,
  BloomModuleMissingError,
  bloomSize,
  dayStart,
  MAX_BLOOM_BATCH,
  MAX_BLOOM_BITS,
  MAX_RANGE_DAYS,
  MAX_TRACK_MEMBERS,
  MAX_WINDOWS,
  UniqueCounter,
} from '../../src/counters/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { expectScriptsNamedAfterFiles } from '../harness/scripts.js';
import { expectInvalid } from '../harness/validation.js';
import { readyConnection } from './helpers.js';

const DAY = 86_400_000;
// Pure calendar arithmetic on fixed dates: nothing here compares them with the clock.
const plusDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const NOT_A_DAY = /must be a Date or a YYYY-MM-DD string/;

describe(`counters validation on ${target} via ${driver}`, () => {
  it('AtomicCounter names the offending option or argument, and accepts its limits exactly', async () => {
    const connection = await readyConnection();
    await expectInvalid(() => new AtomicCounter({ connection, windowMs: 0 }), 'windowMs');
    await expectInvalid(() => new AtomicCounter({ connection, windows: 0 }), 'windows');
    await expectInvalid(() => new AtomicCounter({ connection, windows: MAX_WINDOWS + 1 }), 'windows', /10000/);
    // The most windows, written and read back whole.
    const widest = new AtomicCounter({ connection, windows: MAX_WINDOWS });
    await widest.increment('wide', 3);
    const series = await widest.series('wide');
    expect(series).toHaveLength(MAX_WINDOWS);
    expect(series[0]?.value).toBe(3);
    expect(series.slice(1).every((w) => w.value === 0)).toBe(true);
    const c = new AtomicCounter({ connection, windows: 10 });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => c.increment(''), 'counter');
      await expectInvalid(() => c.increment('x', 1.5), 'amount', /1\.5/);
      await expectInvalid(() => c.series(''), 'counter');
      await expectInvalid(() => c.series('x', 0), 'n');
      await expectInvalid(() => c.series('x', 11), 'n', /10/);
    });
    expect(total).toBe(0);
    expect(await c.series('x', 10)).toHaveLength(10);
  });

  it('BloomFilter names the offending option or argument', async () => {
    const connection = await readyConnection();
    const make = (o: object) => () => new BloomFilter({ connection, name: 'v', capacity: 10, ...o });
    await expectInvalid(make({ name: '' }), 'name');
    await expectInvalid(make({ capacity: 0 }), 'capacity');
    for (const errorRate of [0, 0.5, -0.1, '0.01']) await expectInvalid(make({ errorRate }), 'errorRate', /\(0, 0\.5\)/);
    await expectInvalid(make({ ttlMs: -1 }), 'ttlMs');
    await expectInvalid(make({ backend: 'redis' }), 'backend', /auto, module or lua/);
    const f = new BloomFilter({ connection, name: 'v', capacity: 10, backend: 'lua' });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => f.addMany([]), 'items', /1-1000/);
      await expectInvalid(() => f.existsMany(new Array(MAX_BLOOM_BATCH + 1).fill('x')), 'items');
      await expectInvalid(() => f.add(5 as unknown as string), 'items');
    });
    expect(total).toBe(0);
  });

  it('bloomSize refuses more bits than a Redis string holds, and allows exactly that many', async () => {
    await expectInvalid(() => bloomSize(1e9, 1e-9), 'capacity', new RegExp(String(MAX_BLOOM_BITS)));
    // An error rate that needs exactly MAX_BLOOM_BITS bits for 1e8 items, and one that needs one bit more.
    const rateFor = (bits: number) => Math.exp(-(bits / 1e8) * Math.LN2 ** 2);
    expect(bloomSize(1e8, rateFor(MAX_BLOOM_BITS - 0.5)).bits).toBe(MAX_BLOOM_BITS);
    await expectInvalid(() => bloomSize(1e8, rateFor(MAX_BLOOM_BITS + 0.5)), 'capacity');
  });

  it('UniqueCounter names the offending option or argument, and accepts its limits exactly', async () => {
    const connection = await readyConnection();
    await expectInvalid(() => new UniqueCounter({ connection, retentionDays: 0 }), 'retentionDays');
    const uc = new UniqueCounter({ connection, retentionDays: 3 });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => uc.track('', 'm'), 'counter');
      await expectInvalid(() => uc.track('c', []), 'members', /10000/);
      await expectInvalid(() => uc.track('c', new Array(MAX_TRACK_MEMBERS + 1).fill('m')), 'members');
      await expectInvalid(() => uc.track('c', ['m', '']), 'members');
      await expectInvalid(() => uc.track('c', 'm', { day: 'soon' }), 'day', NOT_A_DAY);
      await expectInvalid(() => uc.track('c', 'm', { day: new Date(Date.now() - 10 * DAY) }), 'day', /retentionDays \(3\)/);
      await expectInvalid(() => uc.count(''), 'counter');
      await expectInvalid(() => uc.count('c', { day: 'soon' }), 'day');
      await expectInvalid(() => uc.countRange('', '2026-01-01', '2026-01-02'), 'counter');
      await expectInvalid(() => uc.countRange('c', 'soon', '2026-01-02'), 'from');
      await expectInvalid(() => uc.countRange('c', '2026-01-01', 'soon'), 'to');
      await expectInvalid(() => uc.countRange('c', '2026-01-02', '2026-01-01'), 'to', /before from/);
      await expectInvalid(() => uc.countRange('c', '2026-01-01', plusDays('2026-01-01', MAX_RANGE_DAYS)), 'to', /400/);
    });
    expect(total).toBe(0);
    expect(
      await uc.track(
        'c',
        new Array(MAX_TRACK_MEMBERS).fill(0).map((_, i) => `m${i}`),
      ),
    ).toBe(true);
    // One day, and the longest range, are both ranges (of a counter nothing was tracked in).
    expect(await uc.countRange('none', '2026-01-01', '2026-01-01')).toBe(0);
    expect(await uc.countRange('none', '2026-01-01', plusDays('2026-01-01', MAX_RANGE_DAYS - 1))).toBe(0);
  });

  it('dayStart takes the UTC day of a Date, before 1970 too, and only real YYYY-MM-DD days', async () => {
    expect(dayStart('day', new Date('2026-03-04T00:00:00.000Z'))).toBe(Date.UTC(2026, 2, 4));
    expect(dayStart('day', new Date('2026-03-04T23:59:59.999Z'))).toBe(Date.UTC(2026, 2, 4));
    expect(dayStart('day', new Date('1969-12-31T12:00:00Z'))).toBe(Date.UTC(1969, 11, 31));
    expect(dayStart('day', '2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    await expectInvalid(() => dayStart('when', new Date('nope')), 'when', /valid Date/);
    await expectInvalid(() => dayStart('when', '2026-02-30'), 'when', /2026-02-30 is not a calendar day/);
    for (const bad of ['x2026-01-01', '2026-01-01x', '226-01-01', '2026-1-01', '2026-01-1', 'abcd-01-01', '2026-ab-01', '2026-01-ab'])
      await expectInvalid(() => dayStart('when', bad), 'when', NOT_A_DAY);
    // A String object is not a day string, even one that reads like a day.
    await expectInvalid(() => dayStart('when', new String('2026-01-01') as unknown as string), 'when', NOT_A_DAY);
  });

  it('module errors carry stable codes and say what went wrong', () => {
    const config = new BloomConfigError('9586 7');
    expect(config).toMatchObject({ code: 'BLOOM_CONFIG', message: expect.stringContaining('(bits, hashes: 9586 7)') });
    const missing = new BloomModuleMissingError();
    expect(missing).toMatchObject({ code: 'BLOOM_MODULE_MISSING', message: expect.stringContaining('BF.*') });
  });

  it('names every script after its file', () => {
    expectScriptsNamedAfterFiles('counters');
  });
});

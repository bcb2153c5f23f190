import { describe, expect, it } from 'vitest';
import { AtomicCounter, MAX_WINDOWS } from '../../src/counters/index.js';
import { ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { readyConnection } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`AtomicCounter on ${target} via ${driver}`, () => {
  it('counts concurrent increments exactly', async () => {
    const connection = await readyConnection();
    // A day-long window: every increment of this test lands in the same one.
    const c = new AtomicCounter({ connection, windowMs: 86_400_000, windows: 2 });
    const results = await Promise.all(Array.from({ length: 300 }, () => c.increment('sms')));
    expect(new Set(results.map((r) => r.value)).size).toBe(300); // every caller saw a distinct count
    expect(await c.total('sms')).toBe(300);
    await c.increment('sms', -5);
    const [current] = await c.series('sms', 1);
    expect(current?.value).toBe(295);
    expect((current?.start ?? 1) % 86_400_000).toBe(0);
  });

  it('puts increments into Redis-time windows, newest first, and forgets old windows', async () => {
    const connection = await readyConnection();
    const c = new AtomicCounter({ connection, windowMs: 300, windows: 3 });
    const seen = new Map<number, number>();
    const until = Date.now() + 1800;
    while (Date.now() < until) {
      const r = await c.increment('w');
      seen.set(r.start, r.value);
      await sleep(20);
    }
    const series = await c.series('w');
    expect(series).toHaveLength(3);
    for (let i = 1; i < series.length; i++) expect((series[i - 1]?.start ?? 0) - (series[i]?.start ?? 0)).toBe(300);
    // Windows that are still kept hold exactly what the increments reported.
    for (const w of series) if (seen.has(w.start) && w.start !== series[0]?.start) expect(w.value).toBe(seen.get(w.start));
    expect(seen.size).toBeGreaterThanOrEqual(5);
    const key = connection.keys('counters').key('w', 'windows');
    const fields = (await connection.send(['HKEYS', key], key)) as string[];
    expect(fields.length).toBeLessThanOrEqual(4); // trimmed to the kept windows (+ the one just opened)
    const pttl = Number(await connection.send(['PTTL', key], key));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(900);
    await sleep(1200);
    expect(await connection.send(['EXISTS', key], key)).toBe(0); // idle counters expire
    expect(await c.total('w')).toBe(0);
  });

  it('keeps exactly the latest `windows` windows when a new one opens', async () => {
    const connection = await readyConnection();
    const day = 86_400_000;
    const c = new AtomicCounter({ connection, windowMs: day, windows: 3 });
    const key = connection.keys('counters').key('h', 'windows');
    // Older windows as earlier increments left them; retried in the rare case the day turns in between.
    let now = await c.increment('h');
    for (let attempt = 0; attempt < 2; attempt++) {
      await connection.send(['HSET', key, now.start - 3 * day, 30, now.start - 2 * day, 20, now.start - day, 10], key);
      const next = await c.increment('h');
      if (next.start === now.start) break;
      now = next;
    }
    const fields = ((await connection.send(['HKEYS', key], key)) as string[]).map(Number).sort((a, b) => b - a);
    expect(fields).toEqual([now.start, now.start - day, now.start - 2 * day]);
    expect((await c.series('h')).map((w) => w.value)).toEqual([2, 10, 20]);
  });

  it('scans for old windows only when a new one opens, not on every increment', async () => {
    const connection = await readyConnection();
    const c = new AtomicCounter({ connection, windowMs: 86_400_000, windows: 1 });
    // Two increments in one window (retried in the rare case the day turns in between): the hash already holds `windows` fields.
    let first = await c.increment('once');
    for (let attempt = 0; attempt < 2; attempt++) {
      const { result, byCommand } = await countCommands(connection, () => c.increment('once'));
      if (result.start !== first.start) {
        first = result;
        continue;
      }
      expect(byCommand).toEqual({ evalsha: 1, time: 1, hincrby: 1, hlen: 1, pexpire: 1 });
      return;
    }
    expect.unreachable('two increments never landed in one window');
  });

  it('costs one EVALSHA per call', async () => {
    const connection = await readyConnection();
    const c = new AtomicCounter({ connection });
    await c.increment('x');
    await c.series('x');
    const inc = await countCommands(connection, () => c.increment('x', 2));
    expect(inc.byCommand).toEqual({ evalsha: 1, time: 1, hincrby: 1, hlen: 1, pexpire: 1 });
    const read = await countCommands(connection, () => c.total('x', 10));
    expect(read.byCommand).toEqual({ evalsha: 1, time: 1, hmget: 1 });
    expect(read.result).toBe(3);
  });

  it('reads MAX_WINDOWS (10,000) windows in one EVALSHA, and rejects one more, sending nothing', async () => {
    const connection = await readyConnection();
    expect(MAX_WINDOWS).toBe(10_000);
    const c = new AtomicCounter({ connection, windowMs: 86_400_000, windows: MAX_WINDOWS });
    await c.increment('long', 3);
    await c.series('long', 1); // loads the script on the key's node (a cluster has several)
    // More fields than one Lua `unpack` returns (~8,000): the script reads them in chunks.
    const series = await countCommands(connection, () => c.series('long'));
    expect(series.byCommand).toEqual({ evalsha: 1, time: 1, hmget: 3 });
    expect(series.result).toHaveLength(MAX_WINDOWS);
    expect(series.result[0]?.value).toBe(3);
    expect(series.result.slice(1).every((w) => w.value === 0)).toBe(true);
    expect((series.result[0]?.start ?? 0) - (series.result[MAX_WINDOWS - 1]?.start ?? 0)).toBe((MAX_WINDOWS - 1) * 86_400_000);
    const total = await countCommands(connection, () => c.total('long'));
    expect(total.result).toBe(3);
    expect(total.byCommand).toEqual({ evalsha: 1, time: 1, hmget: 3 });
    const over = await countCommands(connection, async () => {
      expect(() => new AtomicCounter({ connection, windows: MAX_WINDOWS + 1 })).toThrow(ValidationError);
      await expect(c.series('long', MAX_WINDOWS + 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(c.total('long', MAX_WINDOWS + 1)).rejects.toBeInstanceOf(ValidationError);
    });
    expect(over.byCommand).toEqual({});
  });

  it('rejects bad input before sending anything', async () => {
    const connection = await readyConnection();
    const c = new AtomicCounter({ connection, windows: 10 });
    const { byCommand } = await countCommands(connection, async () => {
      for (const bad of [() => c.increment(''), () => c.increment('x', 1.5), () => c.series('x', 11), () => c.total('x', 0)])
        await expect(bad()).rejects.toBeInstanceOf(ValidationError);
    });
    expect(byCommand).toEqual({});
    expect(() => new AtomicCounter({ connection, windowMs: 0 })).toThrow(ValidationError);
    expect(() => new AtomicCounter({ connection, windows: 20_000 })).toThrow(ValidationError);
  });
});

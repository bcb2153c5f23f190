import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection, ValidationError } from '../../src/index.js';
import { Leaderboard, MAX_LEADERBOARD_PAGE, periodOf } from '../../src/leaderboard/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { driver, rawClient, target, testConnection, uniquePrefix } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { expectInvalid } from '../harness/validation.js';

async function board(options: Partial<ConstructorParameters<typeof Leaderboard>[0]> = {}) {
  const connection = await testConnection();
  // Open every node connection now: ioredis' ready check (INFO) must not land inside a command count.
  await Promise.all((await connection.client.primaries()).map((node) => node.send(['PING'])));
  return { connection, board: new Leaderboard({ connection, name: 'adherence', ...options }) };
}

describe(`Leaderboard on ${target} via ${driver}`, () => {
  it('ranks by score, best first, and pages through the board', async () => {
    const { board: b } = await board();
    for (const [m, s] of [
      ['ana', 30],
      ['ben', 50],
      ['cy', 10],
      ['dee', 40],
      ['eve', 20],
    ] as const)
      await b.add(m, s);
    expect((await b.top(3)).map((e) => [e.member, e.score, e.rank])).toEqual([
      ['ben', 50, 1],
      ['dee', 40, 2],
      ['ana', 30, 3],
    ]);
    const p2 = await b.page(2, 2);
    expect(p2.total).toBe(5);
    expect(p2.entries.map((e) => `${e.rank}:${e.member}`)).toEqual(['3:ana', '4:eve']);
    expect((await b.page(3, 2)).entries.map((e) => e.member)).toEqual(['cy']);
    expect((await b.page(4, 2)).entries).toEqual([]);
    expect(await b.rank('eve')).toEqual({ member: 'eve', score: 20, rank: 4 });
    expect(await b.rank('nobody')).toBeNull();
  });

  it('increments from zero, with negative and fractional amounts, and returns the new place', async () => {
    const { board: b } = await board();
    expect(await b.increment('ana', 5)).toEqual({ member: 'ana', score: 5, rank: 1 });
    expect(await b.increment('ben', 7.25)).toEqual({ member: 'ben', score: 7.25, rank: 1 });
    expect(await b.increment('ana', 3)).toEqual({ member: 'ana', score: 8, rank: 1 });
    expect(await b.increment('ana', -1.5)).toEqual({ member: 'ana', score: 6.5, rank: 2 });
    expect(await b.increment('x', 0.1)).toMatchObject({ score: 0.1 });
    expect((await b.increment('x', 0.2)).score).toBe(0.1 + 0.2);
  });

  it('breaks ties by who reached the score first, also after overtaking', async () => {
    const { board: b } = await board();
    await b.add('first', 10);
    await b.add('second', 10);
    await b.add('third', 10);
    expect((await b.top(3)).map((e) => e.member)).toEqual(['first', 'second', 'third']);
    // first drops and comes back to 10: now it reached 10 last.
    await b.increment('first', 1);
    await b.increment('first', -1);
    expect((await b.top(3)).map((e) => e.member)).toEqual(['second', 'third', 'first']);
    // Setting the same score again keeps the original time.
    await b.add('second', 10);
    expect((await b.top(1))[0]?.member).toBe('second');
    // Member names are compared by time, never by name: 'zzz' before 'aaa' when earlier.
    await b.add('zzz', 99);
    await b.add('aaa', 99);
    expect((await b.top(2)).map((e) => e.member)).toEqual(['zzz', 'aaa']);
  });

  it('stamps a changed score with the inverted Redis time in seconds and microseconds', async () => {
    const { connection, board: b } = await board();
    const members = connection.keys('leaderboard').key('adherence', 'all', 'members');
    const [before] = (await connection.send(['TIME'], members)) as [string, string];
    await b.add('stamped', 1);
    const [after] = (await connection.send(['TIME'], members)) as [string, string];
    const entry = String(await connection.send(['HGET', members, 'stamped'], members));
    expect(entry).toMatch(/^\d{16}stamped$/);
    const seconds = 9_999_999_999 - Number(entry.slice(0, 10));
    const micros = 999_999 - Number(entry.slice(10, 16));
    expect(seconds).toBeGreaterThanOrEqual(Number(before));
    expect(seconds).toBeLessThanOrEqual(Number(after));
    expect(micros).toBeGreaterThanOrEqual(0);
    expect(micros).toBeLessThan(1_000_000);
  });

  it('around() returns neighbours clipped at the ends', async () => {
    const { board: b } = await board();
    for (let i = 1; i <= 10; i++) await b.add(`m${i}`, i * 10);
    const mid = await b.around('m5', 2);
    expect(mid?.map((e) => `${e.rank}:${e.member}`)).toEqual(['4:m7', '5:m6', '6:m5', '7:m4', '8:m3']);
    expect((await b.around('m10', 2))?.map((e) => e.member)).toEqual(['m10', 'm9', 'm8']);
    expect((await b.around('m1', 1))?.map((e) => e.rank)).toEqual([9, 10]);
    expect(await b.around('ghost', 2)).toBeNull();
  });

  it('removes members and clears the board', async () => {
    const { board: b } = await board();
    await b.add('a', 1);
    await b.add('b', 2);
    expect(await b.remove('a')).toBe(true);
    expect(await b.remove('a')).toBe(false);
    expect(await b.rank('b')).toMatchObject({ rank: 1 });
    // Gone from the ranking itself, not only from lookups by name.
    expect((await b.top(10)).map((e) => e.member)).toEqual(['b']);
    expect((await b.page(1, 10)).total).toBe(1);
    await b.clear();
    expect((await b.page(1, 10)).total).toBe(0);
  });

  it('keeps member names with separators and braces intact', async () => {
    const { board: b } = await board();
    const names = ['a:b', '{x}', '0000000000000001', 'é 🙂'];
    for (const [i, n] of names.entries()) await b.add(n, i);
    expect((await b.top(10)).map((e) => e.member).sort()).toEqual([...names].sort());
  });

  it('costs one round trip per operation (one EVALSHA, or one ZREVRANGE for top)', async () => {
    const { connection, board: b } = await board();
    await b.add('warm', 1); // the first call of a script may load it
    await b.top(1);
    await b.rank('warm');
    await b.remove('nobody');
    const top = await countCommands(connection, () => b.top(10));
    expect(top.byCommand).toEqual({ zrevrange: 1 });
    for (const [op, fn] of [
      ['increment', () => b.increment('ana', 1)],
      ['add', () => b.add('ben', 3)],
      ['page', () => b.page(2, 5)],
      ['rank', () => b.rank('ana')],
      ['around', () => b.around('ana', 3)],
      ['remove', () => b.remove('ben')],
    ] as const) {
      const { byCommand } = await countCommands(connection, fn as () => Promise<unknown>);
      expect(byCommand.evalsha, op).toBe(1);
      expect(
        Object.keys(byCommand).filter((c) => c.startsWith('eval')),
        op,
      ).toEqual(['evalsha']);
    }
  });

  it('keeps score and tie order exact under concurrent increments', async () => {
    const { board: b } = await board();
    const members = ['a', 'b', 'c', 'd'];
    await Promise.all(Array.from({ length: 200 }, (_, i) => b.increment(members[i % 4] as string, 1)));
    const top = await b.top(4);
    expect(top.map((e) => e.score)).toEqual([50, 50, 50, 50]);
    expect(new Set(top.map((e) => e.member))).toEqual(new Set(members));
    expect((await b.page(1, 10)).total).toBe(4);
  });

  it('standing boards have no TTL by default and slide with ttlMs', async () => {
    const forever = await board();
    await forever.board.add('a', 1);
    const zset = forever.connection.keys('leaderboard').key('adherence', 'all', 'scores');
    expect(await forever.connection.send(['PTTL', zset], zset)).toBe(-1);
    const sliding = await board({ ttlMs: 60_000 });
    await sliding.board.add('a', 1);
    const keys = ['scores', 'members'].map((p) => sliding.connection.keys('leaderboard').key('adherence', 'all', p));
    for (const k of keys) {
      const pttl = Number(await sliding.connection.send(['PTTL', k], k));
      expect(pttl).toBeGreaterThan(50_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
    }
  });

  it('daily boards are separate per UTC day and expire retainMs after the day ends', async () => {
    const { connection, board: b } = await board({ period: 'daily', retainMs: 2 * 86_400_000 });
    const now = new Date();
    const yesterday = new Date(now.getTime() - 86_400_000);
    await b.increment('ana', 5, { at: yesterday });
    await b.increment('ana', 2);
    expect((await b.rank('ana', { at: yesterday }))?.score).toBe(5);
    expect((await b.rank('ana'))?.score).toBe(2);
    const today = periodOf('daily', now);
    for (const part of ['scores', 'members']) {
      const key = connection.keys('leaderboard').key('adherence', today.id, part);
      const expireAt = Number(await connection.send(['PEXPIRETIME', key], key));
      expect(expireAt).toBe((today.endsAt as number) + 2 * 86_400_000);
    }
  });

  it('a write to a period whose retention is over is gone at once', async () => {
    const { board: b } = await board({ period: 'daily', retainMs: 1000 });
    const lastWeek = new Date(Date.now() - 7 * 86_400_000);
    await b.increment('ana', 5, { at: lastWeek });
    expect(await b.rank('ana', { at: lastWeek })).toBeNull();
  });

  it('weekly boards use ISO weeks', () => {
    expect(periodOf('weekly', new Date('2026-11-22T23:59:00Z')).id).toBe('2026-W47'); // a Sunday
    expect(periodOf('weekly', new Date('2026-11-23T00:00:00Z')).id).toBe('2026-W48'); // Monday
    expect(periodOf('weekly', new Date('2027-01-01T12:00:00Z')).id).toBe('2026-W53'); // Friday of 2026's last week
    expect(periodOf('weekly', new Date('2024-12-30T00:00:00Z')).id).toBe('2025-W01');
    const w = periodOf('weekly', new Date('2026-11-25T10:00:00Z'));
    expect(new Date(w.endsAt as number).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(periodOf('daily', new Date('2026-11-22T23:59:59.999Z'))).toEqual({
      id: '2026-11-22',
      endsAt: Date.parse('2026-11-23T00:00:00Z'),
    });
  });

  it('rejects bad input with ValidationError before sending anything', async () => {
    const { connection, board: b } = await board();
    const { byCommand } = await countCommands(connection, async () => {
      for (const bad of [
        () => b.add('', 1),
        () => b.add('a', Number.NaN),
        () => b.increment('a', Number.POSITIVE_INFINITY),
        () => b.increment(42 as unknown as string, 1),
        () => b.top(0),
        () => b.top(1001),
        () => b.page(0, 10),
        () => b.page(1, 1.5),
        () => b.around('a', -1),
        () => b.rank('x', { at: new Date('nope') }),
        () => b.remove(''),
      ]) {
        await expect(bad()).rejects.toBeInstanceOf(ValidationError);
      }
    });
    expect(byCommand).toEqual({});
    expect(() => new Leaderboard({ connection, name: '' })).toThrow(ValidationError);
    expect(() => new Leaderboard({ connection, name: 'x', period: 'hourly' as 'daily' })).toThrow(ValidationError);
    expect(() => new Leaderboard({ connection, name: 'x', period: 'daily', ttlMs: 5 })).toThrow(ValidationError);
    expect(() => new Leaderboard({ connection, name: 'x', ttlMs: -1 })).toThrow(ValidationError);
  });

  it('names the bad field and the limit, for every operation and option, before sending anything', async () => {
    const { connection, board: b } = await board();
    await b.add('a', 1);
    const { byCommand } = await countCommands(connection, async () => {
      for (const [call, field, detail] of [
        [() => b.add('', 1), 'member'],
        [() => b.add('a', Number.NaN), 'score', /finite number/],
        [() => b.increment('a', '1' as unknown as number), 'score', /finite number/],
        [() => b.top(0), 'n'],
        [() => b.top(MAX_LEADERBOARD_PAGE + 1), 'n', /must be at most 1000/],
        [() => b.around('a', -1), 'n'],
        [() => b.around('a', MAX_LEADERBOARD_PAGE + 1), 'n', /must be at most 1000/],
        [() => b.page(0, 10), 'page'],
        [() => b.page(1, 0), 'size'],
        [() => b.page(1, MAX_LEADERBOARD_PAGE + 1), 'size', /must be at most 1000/],
        [() => b.rank('a', { at: new Date('nope') }), 'at', /valid Date/],
        [() => b.remove(''), 'member'],
      ] as [() => Promise<unknown>, string, RegExp?][]) {
        await expectInvalid(call, field, detail);
      }
    });
    expect(byCommand).toEqual({});
    for (const [options, field, detail] of [
      [undefined, 'options', /object/],
      [null, 'options', /object/],
      ['adherence', 'options', /object/],
      [{ connection, name: '' }, 'name'],
      [{ connection, name: 'x', period: 'hourly' }, 'period', /'weekly'/],
      [{ connection, name: 'x', period: 'weekly', retainMs: 0 }, 'retainMs'],
      [{ connection, name: 'x', ttlMs: -1 }, 'ttlMs'],
      [{ connection, name: 'x', period: 'weekly', ttlMs: 5 }, 'ttlMs', /retainMs/],
    ] as [unknown, string, RegExp?][]) {
      await expectInvalid(() => new Leaderboard(options as ConstructorParameters<typeof Leaderboard>[0]), field, detail);
    }
  });

  it('serves exactly the maximum page size: top, page and around', async () => {
    const { board: b } = await board();
    for (let i = 1; i <= 3; i++) await b.add(`m${i}`, i);
    expect((await b.top(MAX_LEADERBOARD_PAGE)).map((e) => e.member)).toEqual(['m3', 'm2', 'm1']);
    expect((await b.page(1, MAX_LEADERBOARD_PAGE)).entries).toHaveLength(3);
    expect((await b.around('m2', MAX_LEADERBOARD_PAGE))?.map((e) => e.rank)).toEqual([1, 2, 3]);
  });

  it('periodic boards are kept 7 days (daily) or 28 days (weekly) after the period by default', async () => {
    const at = new Date();
    for (const [period, days] of [
      ['daily', 7],
      ['weekly', 28],
    ] as const) {
      const { connection, board: b } = await board({ period });
      expect(await b.increment('ana', 3, { at })).toEqual({ member: 'ana', score: 3, rank: 1 });
      expect(await b.rank('ana', { at })).toEqual({ member: 'ana', score: 3, rank: 1 });
      const window = periodOf(period, at);
      for (const part of ['scores', 'members']) {
        const key = connection.keys('leaderboard').key('adherence', window.id, part);
        expect(Number(await connection.send(['PEXPIRETIME', key], key)), `${period} ${part}`).toBe(
          (window.endsAt as number) + days * 86_400_000,
        );
      }
    }
  });

  it('a standing board without ttlMs works the same over node-redis', async () => {
    const connection = RedisConnection.from(await rawClient({ driver: 'node-redis' }), { prefix: uniquePrefix() });
    const b = new Leaderboard({ connection, name: 'adherence' });
    expect(await b.add('a', 1)).toEqual({ member: 'a', score: 1, rank: 1 });
    expect(await b.increment('a', 2)).toEqual({ member: 'a', score: 3, rank: 1 });
    const zset = connection.keys('leaderboard').key('adherence', 'all', 'scores');
    expect(await connection.send(['PTTL', zset], zset)).toBe(-1);
  });

  it('traces every operation on the leaderboard channel, with the board as attribute', async () => {
    const { board: b } = await board();
    const seen = await tracedOperations('leaderboard', async () => {
      await b.add('a', 1);
      await b.increment('a', 1);
      await b.rank('a');
      await b.top(1);
      await b.around('a', 1);
      await b.page(1, 1);
      await b.remove('a');
      await b.clear();
    });
    // rank reads through around: both are traced.
    expect(seen.map((c) => c.operation)).toEqual(['add', 'increment', 'rank', 'around', 'top', 'around', 'page', 'remove', 'clear']);
    for (const c of seen) expect(c).toMatchObject({ module: 'leaderboard', attributes: { board: 'adherence' } });
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the leaderboard at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new Leaderboard({ connection, name: 'adherence' }))).toEqual(['leaderboard']);
  });

  it('all keys of a board share one hash slot', async () => {
    const { connection } = await board();
    const ks = connection.keys('leaderboard');
    const keys = ['all', '2026-11-22', '2026-W47'].flatMap((p) => [ks.key('adherence', p, 'scores'), ks.key('adherence', p, 'members')]);
    const slots = await Promise.all(keys.map((k) => connection.send(['CLUSTER', 'KEYSLOT', k]).catch(() => null)));
    if (target === 'cluster') expect(new Set(slots).size).toBe(1);
    expect(new Set(keys.map((k) => k.match(/\{[^}]*\}/)?.[0])).size).toBe(1);
  });

  it.runIf(target === 'standalone')('a frozen Redis fails with CommandTimeoutError within the timeout', async () => {
    const server = await startRedis();
    const connection = await RedisConnection.connect(server.url, { commandTimeoutMs: 300 });
    try {
      const b = new Leaderboard({ connection, name: 'frozen' });
      await b.increment('a', 1);
      server.pause();
      const started = Date.now();
      await expect(b.increment('a', 1)).rejects.toBeInstanceOf(CommandTimeoutError);
      await expect(b.top(3)).rejects.toBeInstanceOf(CommandTimeoutError);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      server.resume();
      await connection.close().catch(() => {});
      await server.stop();
    }
  });
});

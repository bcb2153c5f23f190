import { describe, expect, it } from 'vitest';
import { SerializationError, ValidationError } from '../../src/index.js';
import { SessionStore } from '../../src/session/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { afterIndexRead, indexKey, newStore, pttl, sessionKey, sleep } from './helpers.js';

describe(`SessionStore on ${target} via ${driver}`, () => {
  it('creates a session behind an opaque 256-bit token and reads it back', async () => {
    const { sessions } = await newStore();
    const created = await sessions.create('user-1', { role: 'nurse', ward: { id: 7 } }, { ip: '10.0.0.1', userAgent: 'test/1.0' });
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.token.split('.')[1] as string, 'base64url')).toHaveLength(32);
    expect(created.token.slice(0, 22)).toBe(sessions.tagOf('user-1'));
    expect(created.absoluteExpiresAt - created.createdAt).toBe(sessions.absoluteTimeoutMs);
    expect(created.expiresAt - created.createdAt).toBe(sessions.idleTimeoutMs);
    const session = await sessions.get(created.token);
    expect(session).toMatchObject({
      id: created.id,
      userId: 'user-1',
      data: { role: 'nurse', ward: { id: 7 } },
      createdAt: created.createdAt,
      absoluteExpiresAt: created.absoluteExpiresAt,
      ip: '10.0.0.1',
      userAgent: 'test/1.0',
    });
    expect(session?.lastSeenAt).toBeGreaterThanOrEqual(created.createdAt);
    // Two tokens of one user differ in their secret, not in their routing tag.
    const other = await sessions.create('user-1');
    expect(other.token).not.toBe(created.token);
    expect(other.token.slice(0, 22)).toBe(created.token.slice(0, 22));
  });

  it('get with sliding expiry is one round trip (one EVALSHA)', async () => {
    const { connection, sessions } = await newStore();
    const { token } = await sessions.create('user-rt', { a: 1 });
    await sessions.get(token); // loads the script if this server has not seen it
    const { result, byCommand } = await countCommands(connection, () => sessions.get(token));
    expect(result?.data).toEqual({ a: 1 });
    // Last-seen is rewritten at most once a second, so a busy session costs no write beyond the TTL.
    expect(byCommand).toEqual({ evalsha: 1, hgetall: 1, zscore: 1, time: 1, pexpireat: 1 });
  });

  it('get slides the idle expiry; an unused session expires', async () => {
    const { connection, sessions } = await newStore({ idleTimeoutMs: 3000 });
    const { token, id, expiresAt } = await sessions.create('user-slide');
    const key = sessionKey(connection, token, id);
    await sleep(1200);
    expect(await pttl(connection, key)).toBeLessThan(2000);
    const session = await sessions.get(token);
    expect(session?.expiresAt).toBeGreaterThan(expiresAt + 1000);
    // Slid by exactly the idle timeout from the Redis time of the call, not further.
    expect((session?.expiresAt ?? 0) - (session?.lastSeenAt ?? 0)).toBe(3000);
    expect(await pttl(connection, key)).toBeGreaterThan(2400);
    expect(await pttl(connection, key)).toBeLessThanOrEqual(3000);
    expect(await sessions.touch(token)).toBe(true);
    const idle = await sessions.create('user-slide', {}, { idleTimeoutMs: 200 });
    await sleep(600);
    expect(await sessions.get(idle.token)).toBeNull();
    expect(await sessions.touch(idle.token)).toBe(false);
    expect(await sessions.get(token)).not.toBeNull();
  });

  it('a session found past its absolute deadline reads as gone and is deleted', async () => {
    const { connection, sessions } = await newStore();
    const { token, id, createdAt } = await sessions.create('user-past');
    const key = sessionKey(connection, token, id);
    // As if the deadline had passed while the key lived on (its TTL never outlasts the deadline).
    await connection.send(['HSET', key, 'x', createdAt], key);
    expect(await sessions.get(token)).toBeNull();
    expect(await connection.send(['EXISTS', key], key)).toBe(0);
  });

  it('never lets sliding extend a session past its absolute lifetime', async () => {
    const { connection, sessions } = await newStore({ idleTimeoutMs: 1000, absoluteTimeoutMs: 2000 });
    const { token, id, createdAt, absoluteExpiresAt } = await sessions.create('user-abs');
    const key = sessionKey(connection, token, id);
    let lastAlive = 0;
    const started = Date.now();
    while (Date.now() - started < 2800) {
      const s = await sessions.get(token);
      if (s) {
        lastAlive = s.lastSeenAt;
        expect(s.expiresAt).toBeLessThanOrEqual(absoluteExpiresAt);
        expect(s.absoluteExpiresAt).toBe(absoluteExpiresAt);
        const ttl = await pttl(connection, key);
        if (ttl > 0) expect(s.lastSeenAt + ttl).toBeLessThanOrEqual(absoluteExpiresAt + 50);
      }
      await sleep(100);
    }
    // Kept busy, it outlived its idle timeout, but not its deadline.
    expect(lastAlive).toBeGreaterThan(createdAt + 1100);
    expect(lastAlive).toBeLessThan(absoluteExpiresAt);
    expect(await sessions.get(token)).toBeNull();
    expect(await pttl(connection, key)).toBe(-2);
  });

  it('update sets and deletes single fields without rewriting the session', async () => {
    const { connection, sessions } = await newStore();
    const { token, id } = await sessions.create('user-upd', { a: 1, b: 2, keep: 'x' });
    const key = sessionKey(connection, token, id);
    const ttlBefore = await pttl(connection, key);
    await sessions.update(token, { a: 5 });
    const { result, byCommand } = await countCommands(connection, () => sessions.update(token, { b: 3, c: [1, 2], a: undefined }));
    expect(result).toBe(true);
    expect(byCommand).toEqual({ evalsha: 1, hmget: 1, zscore: 1, hset: 1, hdel: 1 });
    // No slide: update is not a read of the session.
    expect(await pttl(connection, key)).toBeLessThanOrEqual(ttlBefore);
    expect((await sessions.get(token))?.data).toEqual({ b: 3, c: [1, 2], keep: 'x' });
    // Deletes alone are an update too.
    expect(await sessions.update(token, { keep: undefined })).toBe(true);
    expect((await sessions.get(token))?.data).toEqual({ b: 3, c: [1, 2] });
    await sessions.destroy(token);
    expect(await sessions.update(token, { b: 4 })).toBe(false);
    expect(await connection.send(['EXISTS', key], key)).toBe(0);
  });

  it('destroy revokes one session; destroyById revokes one from the list', async () => {
    const { connection, sessions } = await newStore();
    const a = await sessions.create('user-d', {}, { userAgent: 'phone' });
    const b = await sessions.create('user-d', {}, { userAgent: 'laptop' });
    const { result, byCommand } = await countCommands(connection, () => sessions.destroy(a.token));
    expect(result).toBe(true);
    expect(byCommand.evalsha).toBe(1);
    expect(await sessions.destroy(a.token)).toBe(false);
    expect(await sessions.get(a.token)).toBeNull();
    expect(await sessions.get(b.token)).not.toBeNull();
    expect(await sessions.destroyById('user-d', b.id)).toBe(true);
    expect(await sessions.get(b.token)).toBeNull();
    expect(await sessions.destroyById('other-user', b.id)).toBe(false);
  });

  it('update reports a set-only write, and an empty one costs no Redis call', async () => {
    const { connection, sessions } = await newStore();
    const { token } = await sessions.create('user-upd-set', { a: 1 });
    const { result, byCommand } = await countCommands(connection, () => sessions.update(token, { a: 2 }));
    expect(result).toBe(true);
    // Nothing to delete: no HDEL of a field the caller never named.
    expect(byCommand.hdel).toBeUndefined();
    expect((await sessions.get(token))?.data).toEqual({ a: 2 });
    const empty = await countCommands(connection, () => sessions.update(token, {}));
    expect(empty.result).toBe(false);
    expect(empty.total).toBe(0);
  });

  it('a session without client info has no ip or userAgent key, and a stored __proto__ field stays out of its data', async () => {
    const { connection, sessions } = await newStore();
    const { token, id } = await sessions.create('user-bare', { a: 1 });
    const key = sessionKey(connection, token, id);
    // As if written by an older version or by hand: encodeFields refuses this name.
    await connection.send(['HSET', key, 'd:__proto__', connection.serializer.serialize({ admin: true })], key);
    const session = await sessions.get(token);
    if (!session) throw new Error('session should be live');
    expect(Object.keys(session)).not.toContain('ip');
    expect(Object.keys(session)).not.toContain('userAgent');
    expect(session.data).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(session.data)).toBe(Object.prototype);
    expect((session.data as { admin?: unknown }).admin).toBeUndefined();
  });

  it('destroyById sends nothing for an id that is not exactly a session id', async () => {
    const { connection, sessions } = await newStore();
    const { id, token } = await sessions.create('user-dbi');
    const lookalike = { toString: () => id } as unknown as string;
    const { result, total } = await countCommands(connection, async () => [
      await sessions.destroyById('user-dbi', `A${id}`),
      await sessions.destroyById('user-dbi', `${id}A`),
      await sessions.destroyById('user-dbi', lookalike),
    ]);
    expect(result).toEqual([false, false, false]);
    expect(total).toBe(0);
    expect(await sessions.get(token)).not.toBeNull();
  });

  it('list of a user without sessions reads only the index', async () => {
    const { connection, sessions } = await newStore();
    // Warm-up: should a script ever run here, its first-call load would blur the count.
    await sessions.list('user-none');
    const { result, byCommand } = await countCommands(connection, () => sessions.list('user-none'));
    expect(result).toEqual([]);
    expect(byCommand.evalsha).toBeUndefined();
  });

  it('list shows live sessions with metadata and drops stale index entries', async () => {
    const { connection, sessions } = await newStore();
    // The index orders by creation millisecond; distinct milliseconds make "oldest first" observable.
    const a = await sessions.create('user-l', {}, { ip: '192.0.2.1', userAgent: 'Firefox' });
    await sleep(3);
    const short = await sessions.create('user-l', {}, { idleTimeoutMs: 150 });
    await sleep(3);
    const c = await sessions.create('user-l');
    await sleep(1100);
    await sessions.get(a.token);
    const index = indexKey(connection, sessions, 'user-l');
    expect(await connection.send(['ZCARD', index], index)).toBe(3);
    const list = await sessions.list('user-l');
    expect(list.map((s) => s.id)).toEqual([a.id, c.id]);
    expect(list[0]).toMatchObject({ ip: '192.0.2.1', userAgent: 'Firefox', createdAt: a.createdAt });
    expect(list[0]?.lastSeenAt).toBeGreaterThan(a.createdAt);
    expect(list[1]?.ip).toBeUndefined();
    expect(list.every((s) => s.expiresAt <= s.absoluteExpiresAt)).toBe(true);
    expect(await connection.send(['ZCARD', index], index)).toBe(2);
    expect(await sessions.get(short.token)).toBeNull();
    expect(await sessions.list('nobody')).toEqual([]);
  });

  it('keys the index with a TTL that outlives every session it lists', async () => {
    const { connection, sessions } = await newStore({ absoluteTimeoutMs: 60_000 });
    const { token, id } = await sessions.create('user-ttl', {}, { absoluteTimeoutMs: 20_000 });
    await sessions.create('user-ttl', {}, { absoluteTimeoutMs: 50_000 });
    const index = indexKey(connection, sessions, 'user-ttl');
    expect(await pttl(connection, index)).toBeGreaterThan(45_000);
    expect(await pttl(connection, index)).toBeLessThanOrEqual(50_000);
    expect(await pttl(connection, sessionKey(connection, token, id))).toBeGreaterThan(0);
  });

  it('evicts the oldest sessions over maxSessionsPerUser and deletes their data', async () => {
    const { connection, sessions } = await newStore({ maxSessionsPerUser: 2 });
    const first = await sessions.create('user-max', { n: 1 });
    await sleep(5);
    const second = await sessions.create('user-max', { n: 2 });
    await sleep(5);
    const third = await sessions.create('user-max', { n: 3 });
    expect(third.evicted).toBe(1);
    expect(await sessions.get(first.token)).toBeNull();
    expect(
      await connection.send(['EXISTS', sessionKey(connection, first.token, first.id)], sessionKey(connection, first.token, first.id)),
    ).toBe(0);
    expect((await sessions.get(second.token))?.data).toEqual({ n: 2 });
    expect((await sessions.get(third.token))?.data).toEqual({ n: 3 });
    // An expired session does not count against the limit.
    await sessions.destroy(second.token);
    const fourth = await sessions.create('user-max');
    expect(fourth.evicted).toBe(0);
    expect((await sessions.list('user-max')).map((s) => s.id)).toEqual([third.id, fourth.id]);
  });

  it('evicts the oldest session even among logins within the same millisecond', async () => {
    const { sessions } = await newStore({ maxSessionsPerUser: 3 });
    // Ten rounds of four logins sent together: one connection runs them in the order sent,
    // usually within one millisecond, so only a finer clock than Redis milliseconds orders them.
    for (let round = 0; round < 10; round++) {
      const user = `user-burst-${round}`;
      const made = await Promise.all([1, 2, 3, 4].map((n) => sessions.create(user, { n })));
      expect(made.map((m) => m.evicted)).toEqual([0, 0, 0, 1]);
      expect(await sessions.get(made[0]?.token as string)).toBeNull();
      expect((await sessions.list(user)).map((s) => s.id)).toEqual(made.slice(1).map((m) => m.id));
    }
  });

  it('rotate issues a new token for the same session and kills the old one atomically', async () => {
    const { connection, sessions } = await newStore();
    const created = await sessions.create('user-rot', { cart: ['a'] }, { ip: '198.51.100.2' });
    const { result: next, byCommand } = await countCommands(connection, () => sessions.rotate(created.token));
    expect(byCommand.evalsha).toBe(1);
    expect(next).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(next).not.toBe(created.token);
    expect(await sessions.get(created.token)).toBeNull();
    const s = await sessions.get(next as string);
    expect(s).toMatchObject({ userId: 'user-rot', data: { cart: ['a'] }, createdAt: created.createdAt, ip: '198.51.100.2' });
    expect(s?.absoluteExpiresAt).toBe(created.absoluteExpiresAt);
    // The index lists the new id only, under the old creation time in microseconds (checked
    // before list(), which would drop a stale id on the way).
    const index = indexKey(connection, sessions, 'user-rot');
    const [member, score] = (await connection.send(['ZRANGE', index, 0, -1, 'WITHSCORES'], index)) as string[];
    expect(member).toBe(s?.id);
    expect(Math.floor(Number(score) / 1000)).toBe(created.createdAt);
    expect((await sessions.list('user-rot')).map((x) => x.id)).toEqual([s?.id]);
    expect(await sessions.rotate(created.token)).toBeNull();
    // Concurrent rotations of one token: exactly one wins.
    const results = await Promise.all(Array.from({ length: 8 }, () => sessions.rotate(next as string)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  it('destroyAll revokes every session of the user, and only of that user', async () => {
    const { connection, sessions } = await newStore();
    const mine = await Promise.all(Array.from({ length: 5 }, (_, i) => sessions.create('user-all', { i })));
    const theirs = await sessions.create('user-other');
    const { result, byCommand } = await countCommands(connection, () => sessions.destroyAll('user-all'));
    expect(result).toBe(5);
    expect(byCommand.evalsha).toBe(1);
    expect(byCommand.zrange).toBe(1);
    for (const s of mine) expect(await sessions.get(s.token)).toBeNull();
    expect(await sessions.get(theirs.token)).not.toBeNull();
    expect(await sessions.list('user-all')).toEqual([]);
    expect(await sessions.destroyAll('user-all')).toBe(0);
  });

  it('destroyAll also kills a session created between its index read and its script', async () => {
    const { connection, sessions } = await newStore();
    const before = await sessions.create('user-race');
    // Deterministic interleaving: a login lands right after destroyAll read the index.
    const sneaked = await afterIndexRead(
      connection,
      async () => (await sessions.create('user-race')).token,
      () => sessions.destroyAll('user-race'),
    );
    expect(await sessions.get(before.token)).toBeNull();
    expect(await sessions.get(sneaked)).toBeNull();
  });

  it('destroyAll under concurrent logins leaves no live session created before the call', async () => {
    const { sessions } = await newStore();
    const settled: { token: string; doneAt: number }[] = [];
    let stop = false;
    let seq = 0;
    const creators = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const { token } = await sessions.create('user-burst', { n: seq++ });
        settled.push({ token, doneAt: performance.now() });
      }
    });
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await sleep(25);
    };
    await until(() => settled.length >= 10);
    const calledAt = performance.now();
    const revoked = await sessions.destroyAll('user-burst');
    const returnedAt = performance.now();
    await until(() => settled.filter((s) => s.doneAt > returnedAt).length >= 3);
    stop = true;
    await Promise.all(creators);
    const before = settled.filter((s) => s.doneAt < calledAt);
    const after = settled.filter((s) => s.doneAt > returnedAt);
    expect(before.length).toBeGreaterThan(5);
    expect(revoked).toBeGreaterThanOrEqual(before.length);
    const alive = await Promise.all(before.map((s) => sessions.get(s.token)));
    expect(alive.filter(Boolean)).toHaveLength(0);
    // Logins after the call are unaffected.
    expect(after.length).toBeGreaterThan(0);
    const later = await Promise.all(after.map((s) => sessions.get(s.token)));
    expect(later.every(Boolean)).toBe(true);
  });

  it('rejects bad input before sending anything', async () => {
    const { connection, sessions } = await newStore();
    const { token } = await sessions.create('user-bad');
    const valid = token;
    const malformed: unknown[] = [
      '',
      'x',
      'a'.repeat(100_000),
      `${valid.slice(0, 65)}!`,
      `${valid}A`,
      valid.replace('.', '-'),
      null,
      undefined,
      42,
      { token: valid },
    ];
    const { result, total } = await countCommands(connection, async () => {
      const out: unknown[] = [];
      for (const m of malformed) {
        out.push(await sessions.get(m as string));
        out.push(await sessions.touch(m as string));
        out.push(await sessions.update(m as string, { a: 1 }));
        out.push(await sessions.destroy(m as string));
        out.push(await sessions.rotate(m as string));
      }
      out.push(await sessions.destroyById('user-bad', 'not-an-id'));
      return out;
    });
    expect(total).toBe(0);
    expect(result.every((r) => r === null || r === false)).toBe(true);

    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const { total: badTotal } = await countCommands(connection, async () => {
      await expect(sessions.create('', {})).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.create('u'.repeat(2000), {})).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.create(7 as unknown as string, {})).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.create('user-bad', { n: 10n })).rejects.toBeInstanceOf(SerializationError);
      await expect(sessions.create('user-bad', circular)).rejects.toBeInstanceOf(SerializationError);
      await expect(sessions.create('user-bad', [] as unknown as Record<string, unknown>)).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.create('user-bad', { '': 1 })).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.create('user-bad', {}, { ip: 5 as unknown as string })).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.create('user-bad', {}, { idleTimeoutMs: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.create('user-bad', {}, { absoluteTimeoutMs: sessions.absoluteTimeoutMs + 1 })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(sessions.update(valid, { f: () => 1 })).rejects.toBeInstanceOf(SerializationError);
      await expect(sessions.update(valid, null as unknown as Record<string, unknown>)).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.destroyAll('')).rejects.toBeInstanceOf(ValidationError);
      await expect(sessions.list('')).rejects.toBeInstanceOf(ValidationError);
    });
    expect(badTotal).toBe(0);
    expect(() => new SessionStore({ connection, idleTimeoutMs: -1 })).toThrow(ValidationError);
    expect(() => new SessionStore({ connection, maxSessionsPerUser: 1.5 })).toThrow(ValidationError);
    expect(() => new SessionStore({ connection, tagSecret: '' })).toThrow(ValidationError);
    // Data survived all of the above.
    expect(await sessions.get(valid)).not.toBeNull();
  });

  it('records only the client info given: no empty ip or user agent field', async () => {
    const { connection, sessions } = await newStore();
    const phone = await sessions.create('user-ci', {}, { userAgent: 'phone' });
    const proxy = await sessions.create('user-ci', {}, { ip: '192.0.2.7' });
    const fields = async (token: string, id: string) => {
      const key = sessionKey(connection, token, id);
      const flat = (await connection.send(['HGETALL', key], key)) as unknown;
      return Array.isArray(flat) ? flat.filter((_, i) => i % 2 === 0) : Object.keys(flat as object);
    };
    expect(await fields(phone.token, phone.id)).toContain('ua');
    expect(await fields(phone.token, phone.id)).not.toContain('ip');
    expect(await fields(proxy.token, proxy.id)).toContain('ip');
    expect(await fields(proxy.token, proxy.id)).not.toContain('ua');
  });

  it('a user agent that is not text is refused by name', async () => {
    const { sessions } = await newStore();
    await expectInvalid(() => sessions.create('user-ci', {}, { userAgent: 5 as unknown as string }), 'userAgent');
    await expectInvalid(() => sessions.create('user-ci', {}, { userAgent: 'half \ud800 pair' }), 'userAgent');
  });

  it('client info cut at 512 characters never splits a surrogate pair', async () => {
    const { sessions } = await newStore();
    // The pair would take units 512 and 513: cutting at 512 keeps its first half alone.
    await sessions.create('user-clip', {}, { ip: `${'a'.repeat(511)}\u{1F600}tail` });
    expect((await sessions.list('user-clip'))[0]?.ip).toBe('a'.repeat(511));
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the sessions at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new SessionStore({ connection }))).toEqual(['session']);
  });

  it('a tag secret turns the routing tag into a keyed pseudonym', async () => {
    const { connection } = await newStore();
    const plain = new SessionStore({ connection });
    const keyed = new SessionStore({ connection, tagSecret: 'k1' });
    const other = new SessionStore({ connection, tagSecret: 'k2' });
    expect(keyed.tagOf('42')).not.toBe(plain.tagOf('42'));
    expect(keyed.tagOf('42')).not.toBe(other.tagOf('42'));
    const { token } = await keyed.create('42', { x: 1 });
    expect(token.slice(0, 22)).toBe(keyed.tagOf('42'));
    expect((await keyed.get(token))?.userId).toBe('42');
    expect(await keyed.destroyAll('42')).toBe(1);
  });
});

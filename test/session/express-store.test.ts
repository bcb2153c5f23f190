import { tracingChannel } from 'node:diagnostics_channel';
import session from 'express-session';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { OperationContext } from '../../src/core/telemetry.js';
import { ValidationError } from '../../src/index.js';
import { createExpressSessionStore, type SessionStore } from '../../src/session/index.js';
import { tokenId } from '../../src/session/token.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { startApp } from './express-app.js';
import { afterIndexRead, newStore, pttl, sessionKey, sleep } from './helpers.js';
import { Client } from './http-client.js';

const servers: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function setup(ttlMs?: number, tombstoneMs?: number) {
  const { connection, sessions } = await newStore({ absoluteTimeoutMs: 3_600_000 });
  const store = createExpressSessionStore(session, { sessions, ...(ttlMs ? { ttlMs } : {}), ...(tombstoneMs ? { tombstoneMs } : {}) });
  const app = await startApp(store);
  servers.push(app);
  return { connection, sessions, store, base: app.base };
}

describe(`express-session store on ${target} via ${driver}`, () => {
  it('login, authenticated requests, logout, and log out everywhere from a second client, over HTTP', async () => {
    const { sessions, base } = await setup();
    const laptop = new Client(base);
    const phone = new Client(base);
    expect((await laptop.request('GET', '/me')).status).toBe(401);
    expect((await laptop.request('POST', '/login/alice')).status).toBe(200);
    expect(await laptop.request('GET', '/me')).toEqual({ status: 200, body: { user: 'alice', views: 1 } });
    expect(await laptop.request('GET', '/me')).toEqual({ status: 200, body: { user: 'alice', views: 2 } });
    expect(laptop.sid().slice(0, 22)).toBe(sessions.tagOf('alice'));

    await phone.request('POST', '/login/alice');
    expect((await phone.request('GET', '/me')).body).toEqual({ user: 'alice', views: 1 });
    const bob = new Client(base);
    await bob.request('POST', '/login/bob');
    // The SessionStore sees the express sessions of alice too.
    expect(await sessions.list('alice')).toHaveLength(2);

    // Logout of one client ends only that session.
    const tablet = new Client(base);
    await tablet.request('POST', '/login/alice');
    expect((await tablet.request('POST', '/logout')).status).toBe(200);
    expect((await tablet.request('GET', '/me')).status).toBe(401);
    expect((await laptop.request('GET', '/me')).status).toBe(200);

    // Log out everywhere, from the phone.
    expect(await phone.request('POST', '/logout-everywhere')).toEqual({ status: 200, body: { revoked: 2 } });
    expect((await laptop.request('GET', '/me')).status).toBe(401);
    expect((await phone.request('GET', '/me')).status).toBe(401);
    expect((await bob.request('GET', '/me')).status).toBe(200);
    expect(await sessions.list('alice')).toEqual([]);

    // Logging in again works.
    await laptop.request('POST', '/login/alice');
    expect((await laptop.request('GET', '/me')).body).toEqual({ user: 'alice', views: 1 });
  });

  it('keeps anonymous sessions, and login replaces them with a session routed to the user', async () => {
    const { base, sessions } = await setup();
    const shopper = new Client(base);
    await shopper.request('POST', '/cart/aspirin');
    expect((await shopper.request('POST', '/cart/bandage')).body).toEqual({ cart: ['aspirin', 'bandage'] });
    const anonymousSid = shopper.sid();
    expect(anonymousSid.slice(0, 22)).not.toBe(sessions.tagOf('carol'));
    await shopper.request('POST', '/login/carol');
    expect(shopper.sid()).not.toBe(anonymousSid);
    expect(shopper.sid().slice(0, 22)).toBe(sessions.tagOf('carol'));
    expect((await shopper.request('GET', '/me')).status).toBe(200);
  });

  it('an unmodified request touches the session (sliding), never past the absolute lifetime', async () => {
    const { connection, base, store } = await setup();
    const client = new Client(base);
    await client.request('POST', '/login/dave');
    const sid = client.sid();
    const key = sessionKey(connection, sid, tokenId(sid));
    await connection.send(['PEXPIRE', key, 5000], key);
    expect((await client.request('GET', '/peek')).status).toBe(200);
    // express-session called touch: TTL back to the cookie's 60 s.
    expect(Number(await connection.send(['PTTL', key], key))).toBeGreaterThan(50_000);
    // Move the absolute deadline near: touch may not extend past it.
    const deadline = Date.now() + 1500;
    await connection.send(['HSET', key, 'x', deadline], key);
    await store.touch(sid, { cookie: { expires: new Date(Date.now() + 60_000) } });
    expect(Number(await connection.send(['PTTL', key], key))).toBeLessThanOrEqual(1500);
    await sleep(1700);
    expect((await client.request('GET', '/peek')).status).toBe(401);
  });

  it('a request in flight cannot write a revoked session back', async () => {
    const { connection, store, sessions } = await setup();
    const sid = store.genid({});
    // Store.genid gives an anonymous sid; route one to erin the way regenerateFor does.
    const erinSid = `${sessions.tagOf('erin')}.${sid.slice(23)}`;
    const sess = { cookie: { expires: new Date(Date.now() + 60_000) }, userId: 'erin' };
    await store.set(erinSid, sess);
    expect(await store.get(erinSid)).toMatchObject({ userId: 'erin' });
    // The save that named the user indexed the session: the index outlives it (the store's
    // absolute lifetime here is an hour), and is never kept forever.
    const index = connection.keys('session').key(sessions.tagOf('erin'), 'idx');
    expect(Number(await connection.send(['PTTL', index], index))).toBeGreaterThan(3_500_000);
    expect(await store.destroyAll('erin')).toBe(1);
    await store.set(erinSid, { ...sess, views: 9 }); // the late save of a request that started before
    expect(await store.get(erinSid)).toBeNull();
    // Not even written: only the tombstone is there.
    const key = sessionKey(connection, erinSid, tokenId(erinSid));
    expect(await connection.send(['HGETALL', key], key)).toEqual(['r', '1']);
    // ...for at most tombstoneMs (60 s by default), never forever.
    const tombstoneTtl = Number(await connection.send(['PTTL', key], key));
    expect(tombstoneTtl).toBeGreaterThan(0);
    expect(tombstoneTtl).toBeLessThanOrEqual(60_000);
    expect(await sessions.list('erin')).toEqual([]);
    // Same for a plain logout.
    const other = `${sessions.tagOf('erin')}.${store.genid({}).slice(23)}`;
    await store.set(other, sess);
    await store.destroy(other);
    await store.set(other, sess);
    expect(await store.get(other)).toBeNull();
  });

  it('an anonymous session read through the SessionStore belongs to no user (empty userId)', async () => {
    const { store, sessions } = await setup();
    const sid = store.genid({});
    await store.set(sid, { cookie: { expires: new Date(Date.now() + 60_000) } });
    const session = await sessions.get(sid);
    expect(session).not.toBeNull();
    expect(session?.userId).toBe('');
  });

  it('its operations are traced with the adapter attribute; a late save of a revoked session reads as revoked', async () => {
    const { store, sessions } = await setup();
    const sid = `${sessions.tagOf('ivy')}.${store.genid({}).slice(23)}`;
    const sess = { cookie: { expires: new Date(Date.now() + 60_000) }, userId: 'ivy' };
    const seen: OperationContext[] = [];
    const channel = tracingChannel<object, OperationContext>('redis-patterns:session');
    const handlers = { start: (c: OperationContext) => seen.push(c), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    channel.subscribe(handlers);
    try {
      await store.set(sid, sess);
      await store.destroy(sid);
      await store.set(sid, sess);
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(seen.map((c) => [c.operation, c.outcome, c.attributes.adapter])).toEqual([
      ['set', 'saved', 'express'],
      ['destroy', 'revoked', 'express'],
      ['set', 'revoked', 'express'],
    ]);
  });

  it('a session that "log out everywhere" missed (saved between its index read and its script) cannot be saved again', async () => {
    const { connection, store, sessions } = await setup();
    const cookie = { expires: new Date(Date.now() + 60_000) };
    const sid = () => `${sessions.tagOf('ivy')}.${store.genid({}).slice(23)}`;
    await store.set(sid(), { cookie, userId: 'ivy' });
    // Deterministic interleaving: a login lands right after destroyAll read the index, so its
    // hash gets no tombstone; only its absence from the (deleted) index marks it revoked.
    const late = await afterIndexRead(
      connection,
      async () => {
        const sneaked = sid();
        await store.set(sneaked, { cookie, userId: 'ivy', views: 1 });
        return sneaked;
      },
      () => store.destroyAll('ivy'),
    );
    const key = sessionKey(connection, late, tokenId(late));
    const before = await connection.send(['HGET', key, 'e'], key);
    // The late save of a request that started before: refused, nothing rewritten.
    await store.set(late, { cookie, userId: 'ivy', views: 9 });
    expect(await connection.send(['HGET', key, 'e'], key)).toBe(before);
    expect(await store.get(late)).toBeNull();
    // Nor do the admin scans count it, though its hash still holds the session.
    expect(await store.ids()).toEqual([]);
  });

  it('a save whose cookie has expired, even this very millisecond, ends the session with a tombstone; a touch with it sends nothing', async () => {
    const { connection, store, sessions } = await setup();
    const sid = `${sessions.tagOf('hal')}.${store.genid({}).slice(23)}`;
    const key = sessionKey(connection, sid, tokenId(sid));
    const live = { cookie: { expires: new Date(Date.now() + 60_000) }, userId: 'hal' };
    await store.set(sid, live);
    // The clock held still, so that the cookie's remaining lifetime is exactly 0 ms.
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
    try {
      const touches = await countCommands(connection, async () => {
        await store.touch(sid, { cookie: { expires: new Date(now - 1000) }, userId: 'hal' });
        await store.touch(sid, { cookie: { expires: new Date(now) }, userId: 'hal' });
      });
      expect(touches.total).toBe(0);
      await store.set(sid, { cookie: { expires: new Date(now) }, userId: 'hal' });
    } finally {
      clock.mockRestore();
    }
    expect(await connection.send(['HGETALL', key], key)).toEqual(['r', '1']);
    // So a request still in flight cannot save it back.
    await store.set(sid, live);
    expect(await store.get(sid)).toBeNull();
  });

  it('a session whose cookie has no expiry (or none at all) lives ttlMs', async () => {
    const { connection, store } = await setup(5000);
    for (const sess of [{ cart: ['x'] }, { cookie: {} }, { cookie: { expires: null } }]) {
      const sid = store.genid({});
      await store.set(sid, sess);
      expect(await store.get(sid), JSON.stringify(sess)).toMatchObject(sess);
      const ttl = await pttl(connection, sessionKey(connection, sid, tokenId(sid)));
      expect(ttl, JSON.stringify(sess)).toBeGreaterThan(0);
      expect(ttl, JSON.stringify(sess)).toBeLessThanOrEqual(5000);
    }
  });

  it('a tombstone lives for tombstoneMs, however long the session had left', async () => {
    const { connection, store, sessions } = await setup(undefined, 2000);
    const sess = { cookie: { expires: new Date(Date.now() + 60_000) }, userId: 'gina' };
    const sids = [0, 1].map(() => `${sessions.tagOf('gina')}.${store.genid({}).slice(23)}`);
    for (const sid of sids) await store.set(sid, sess);
    const [one, other] = sids.map((sid) => sessionKey(connection, sid, tokenId(sid))) as [string, string];
    await store.destroy(sids[0] as string);
    await store.destroyAll('gina');
    for (const key of [one, other]) {
      expect(await connection.send(['HGETALL', key], key)).toEqual(['r', '1']);
      const ttl = Number(await connection.send(['PTTL', key], key));
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(2000);
    }
  });

  it('implements the rest of the store contract (all, length, ids, clear) with callbacks', async () => {
    const { store, sessions } = await setup();
    const anon = store.genid({});
    const userSid = `${sessions.tagOf('frank')}.${store.genid({}).slice(23)}`;
    const cookie = { expires: new Date(Date.now() + 60_000) };
    await new Promise<void>((resolve, reject) => store.set(anon, { cookie, cart: ['x'] }, (err) => (err ? reject(err) : resolve())));
    await store.set(userSid, { cookie, userId: 'frank' });
    // A SessionStore session under the same prefix is not an express session.
    await sessions.create('frank');
    const got = await new Promise((resolve, reject) => store.get(anon, (err, s) => (err ? reject(err) : resolve(s))));
    expect(got).toMatchObject({ cart: ['x'] });
    expect(await new Promise((r) => store.length((_e, n) => r(n)))).toBe(2);
    const ids = await store.ids();
    // Ids are the stored SHA-256 of the sids, never the sids themselves.
    expect(ids.sort()).toEqual([tokenId(anon), tokenId(userSid)].sort());
    const all = await store.all();
    expect(all.map((s) => s.id).sort()).toEqual(ids.sort());
    expect(all.find((s) => s.userId === 'frank')).toBeDefined();
    // Revoked sessions are not counted.
    await store.destroyAll('frank');
    expect(await store.length()).toBe(1);
    await new Promise<void>((r) => store.clear(() => r()));
    expect(await store.length()).toBe(0);
    expect(await store.get(anon)).toBeNull();
  });

  it('bad sids: malformed ones read as no session with zero Redis calls; a sid not routed to its user is refused', async () => {
    const { connection, store } = await setup();
    const { total, result } = await countCommands(connection, async () =>
      Promise.all(['', 'abc', 'x'.repeat(5000), 's%3Aforged', undefined].map((sid) => store.get(sid as string))),
    );
    expect(total).toBe(0);
    expect(result).toEqual([null, null, null, null, null]);
    const cookie = { expires: new Date(Date.now() + 60_000) };
    const touchedOrDestroyed = await countCommands(connection, () =>
      Promise.all(['', 'abc', 's%3Aforged'].flatMap((sid) => [store.touch(sid, { cookie }), store.destroy(sid)])),
    );
    expect(touchedOrDestroyed.total).toBe(0);
    const anonymous = store.genid({});
    const err = await store.set(anonymous, { cookie, userId: 'mallory' }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    await expect(store.set('not-a-token', { cookie })).rejects.toBeInstanceOf(ValidationError);
    expect(() => createExpressSessionStore(session, { sessions: {} as SessionStore })).toThrow(ValidationError);
    const { sessions } = await newStore();
    for (const bad of [{ ttlMs: 0 }, { ttlMs: 1.5 }, { tombstoneMs: -1 }, { userId: 'userId' as unknown as () => undefined }]) {
      expect(() => createExpressSessionStore(session, { sessions, ...bad }), JSON.stringify(bad)).toThrow(ValidationError);
    }
  });
});

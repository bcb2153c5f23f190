// The express-session store with the SessionStore's maxSessionsPerUser and sliding, and the
// ip / user agent it records at login, over real HTTP.
import session from 'express-session';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createExpressSessionStore,
  type ExpressSessionStore,
  type ExpressSessionStoreOptions,
  type RequestLike,
  type SessionStoreOptions,
} from '../../src/session/index.js';
import { tokenId } from '../../src/session/token.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { startApp } from './express-app.js';
import { newStore, pttl, sessionKey, sleep } from './helpers.js';
import { Client } from './http-client.js';

const servers: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function setup(options: Omit<SessionStoreOptions, 'connection'> = {}, adapter: Omit<ExpressSessionStoreOptions, 'sessions'> = {}) {
  const { connection, sessions } = await newStore({ absoluteTimeoutMs: 3_600_000, ...options });
  const store = createExpressSessionStore(session, { sessions, ...adapter });
  const app = await startApp(store);
  servers.push(app);
  return { connection, sessions, store, base: app.base };
}

/**
 * Logs `userId` in on a bare request the way express-session would (its `regenerate` makes a
 * sid with `genid` and puts a new session object on the request). Resolves the new sid.
 */
async function bareLogin(store: ExpressSessionStore, request: RequestLike, userId: string, newSession: unknown): Promise<string> {
  let sid = '';
  const req = Object.assign(request, {
    session: {
      regenerate(cb: (err?: unknown) => void) {
        sid = store.genid(req);
        (req as { session: unknown }).session = newSession;
        cb();
      },
    },
  });
  await store.regenerateFor(req, userId);
  return sid;
}

describe(`express-session store options on ${target} via ${driver}`, () => {
  it('records the ip and user agent of the login, shown by sessions.list like SessionStore.create', async () => {
    const { sessions, base } = await setup();
    const laptop = new Client(base, 'laptop-browser/2.0');
    const phone = new Client(base, 'phone-app/3.1');
    await laptop.request('POST', '/login/alice');
    await phone.request('POST', '/login/alice');
    await laptop.request('GET', '/me'); // later saves keep what the login recorded
    const listed = await sessions.list('alice');
    expect(listed.map((s) => [s.id, s.ip, s.userAgent]).sort()).toEqual(
      [
        [tokenId(laptop.sid()), '127.0.0.1', 'laptop-browser/2.0'],
        [tokenId(phone.sid()), '127.0.0.1', 'phone-app/3.1'],
      ].sort(),
    );
  });

  it('clientInfo: a function of the request chooses what is recorded (cut to 512 characters); false records nothing', async () => {
    const custom = await setup({}, { clientInfo: (req) => ({ ip: 'via-proxy', userAgent: `${req.headers?.['user-agent']}`.repeat(100) }) });
    await new Client(custom.base, 'ua').request('POST', '/login/bob');
    const [bob] = await custom.sessions.list('bob');
    expect(bob?.ip).toBe('via-proxy');
    expect(bob?.userAgent).toBe('ua'.repeat(100));
    await new Client(custom.base, 'x'.repeat(600)).request('POST', '/login/bea');
    expect((await custom.sessions.list('bea'))[0]?.userAgent).toHaveLength(512);
    const none = await setup({}, { clientInfo: false });
    await new Client(none.base).request('POST', '/login/carl');
    const [carl] = await none.sessions.list('carl');
    expect(carl).toBeDefined();
    expect(carl?.ip).toBeUndefined();
    expect(carl?.userAgent).toBeUndefined();
  });

  it('clientInfo may give nothing, or only one of ip and user agent: what is not given is not recorded', async () => {
    const nothing = await setup({}, { clientInfo: () => undefined });
    await new Client(nothing.base).request('POST', '/login/dora');
    const [dora] = await nothing.sessions.list('dora');
    expect(dora).toBeDefined();
    expect([dora?.ip, dora?.userAgent]).toEqual([undefined, undefined]);
    const ipOnly = await setup({}, { clientInfo: () => ({ ip: 'via-proxy' }) });
    await new Client(ipOnly.base).request('POST', '/login/ed');
    const [ed] = await ipOnly.sessions.list('ed');
    expect([ed?.ip, ed?.userAgent]).toEqual(['via-proxy', undefined]);
    const agentOnly = await setup({}, { clientInfo: () => ({ userAgent: 'kiosk/1' }) });
    await new Client(agentOnly.base).request('POST', '/login/flo');
    const [flo] = await agentOnly.sessions.list('flo');
    expect([flo?.ip, flo?.userAgent]).toEqual([undefined, 'kiosk/1']);
  });

  it('userId: a function names the user of a session; by default only a non-empty string userId does', async () => {
    const { sessions, store } = await setup({}, { userId: (sess) => (sess.account as { id?: string } | undefined)?.id });
    const cookie = { expires: new Date(Date.now() + 60_000) };
    const sid = `${sessions.tagOf('acct-1')}.${store.genid({}).slice(23)}`;
    await store.set(sid, { cookie, account: { id: 'acct-1' } });
    expect((await sessions.list('acct-1')).map((s) => s.id)).toEqual([tokenId(sid)]);
    const byDefault = createExpressSessionStore(session, { sessions });
    for (const userId of ['', 42, null]) {
      const anonymous = byDefault.genid({});
      await byDefault.set(anonymous, { cookie, userId });
      expect((await sessions.get(anonymous))?.userId, String(userId)).toBe('');
    }
  });

  it('regenerateFor routes only the sids generated during the login to the user', async () => {
    const { sessions, store } = await setup();
    const request: RequestLike = { ip: '10.0.0.7', headers: {} };
    const sid = await bareLogin(store, request, 'ann', {});
    expect(sid.slice(0, 22)).toBe(sessions.tagOf('ann'));
    // A later sid for the same request object (a logout, a second regenerate) is anonymous again.
    expect(store.genid(request).slice(0, 22)).not.toBe(sessions.tagOf('ann'));
  });

  it('the default clientInfo records what the request has: no headers, or an ip or user agent that is not one string, is left out', async () => {
    const { sessions, store } = await setup();
    const cookie = { expires: new Date(Date.now() + 60_000) };
    const login = async (userId: string, request: RequestLike) => {
      const sess = { cookie, userId };
      await store.set(await bareLogin(store, request, userId, sess), sess);
      const [listed] = await sessions.list(userId);
      return [listed?.ip, listed?.userAgent];
    };
    expect(await login('bo', { ip: '10.0.0.7' })).toEqual(['10.0.0.7', undefined]);
    expect(await login('cy', { ip: null, headers: { 'user-agent': ['a/1', 'b/2'] } })).toEqual([undefined, undefined]);
    expect(await login('di', { ip: 7, headers: { 'user-agent': 'kiosk/1' } })).toEqual([undefined, 'kiosk/1']);
  });

  it('regenerateFor tolerates a framework that leaves no session object on the request', async () => {
    const { sessions, store } = await setup();
    for (const missing of [null, undefined]) {
      const sid = await bareLogin(store, { ip: '10.0.0.7', headers: { 'user-agent': 'ua/1' } }, 'eli', missing);
      expect(sid.slice(0, 22)).toBe(sessions.tagOf('eli'));
    }
  });

  it('honours maxSessionsPerUser: the login over the limit evicts the oldest; under it a save is one round trip', async () => {
    const { connection, sessions, base } = await setup({ maxSessionsPerUser: 2 });
    const a = new Client(base);
    const b = new Client(base);
    const c = new Client(base);
    await a.request('POST', '/login/dana');
    // Under the limit: the login's save is one EVALSHA (the destroy is express-session's regenerate).
    const under = await countCommands(connection, () => b.request('POST', '/login/dana'));
    expect(under.byCommand.zrange).toBeUndefined();
    const evicted = a.sid();
    await c.request('POST', '/login/dana');
    expect((await a.request('GET', '/peek')).status).toBe(401);
    expect((await b.request('GET', '/peek')).status).toBe(200);
    expect((await c.request('GET', '/peek')).status).toBe(200);
    expect((await sessions.list('dana')).map((s) => s.id).sort()).toEqual([tokenId(b.sid()), tokenId(c.sid())].sort());
    const key = sessionKey(connection, evicted, tokenId(evicted));
    expect(await connection.send(['HGETALL', key], key)).toEqual(['r', '1']);
    // SessionStore.create counts the express sessions too.
    const created = await sessions.create('dana');
    expect(created.evicted).toBe(1);
    expect((await b.request('GET', '/peek')).status).toBe(401);
  });

  it('sliding: false turns touch off (nothing sent) and saves never move the expiry later', async () => {
    const { connection, base, store } = await setup({ sliding: false });
    const client = new Client(base);
    await client.request('POST', '/login/eve');
    const sid = client.sid();
    const key = sessionKey(connection, sid, tokenId(sid));
    await connection.send(['PEXPIRE', key, 1500], key);
    // An unmodified request: express-session calls touch, which sends nothing.
    const peek = await countCommands(connection, () => client.request('GET', '/peek'));
    expect(peek.result.status).toBe(200);
    expect(peek.byCommand.evalsha).toBe(1); // the get
    expect(peek.byCommand.pexpireat).toBeUndefined();
    expect(await pttl(connection, key)).toBeLessThanOrEqual(1500);
    // A modified request saves, with a renewed cookie: the expiry stays.
    expect((await client.request('GET', '/me')).status).toBe(200);
    expect(await pttl(connection, key)).toBeLessThanOrEqual(1500);
    await store.touch(sid, { cookie: { expires: new Date(Date.now() + 60_000) } });
    expect(await pttl(connection, key)).toBeLessThanOrEqual(1500);
    // Earlier it may: a save whose cookie ends sooner shortens the expiry.
    await store.set(sid, { cookie: { expires: new Date(Date.now() + 600) }, userId: 'eve' });
    expect(await pttl(connection, key)).toBeLessThanOrEqual(600);
    await sleep(1700);
    expect((await client.request('GET', '/me')).status).toBe(401);
  });

  it('touchAfterMs: a sid touched or saved less than that ago is not touched again; at exactly that age it is', async () => {
    const touchAfterMs = 1000;
    const { connection, base, store } = await setup({}, { touchAfterMs });
    const client = new Client(base);
    await client.request('POST', '/login/frank'); // the login's save counts as a slide
    const sid = client.sid();
    const key = sessionKey(connection, sid, tokenId(sid));
    await connection.send(['PEXPIRE', key, 30_000], key);
    // Unmodified requests right after the save: only the get is sent (each read of the session,
    // get or touch, is one HGETALL in its script; touch slides with PEXPIREAT, the get does not),
    // and the expiry stays where it was.
    for (let i = 0; i < 3; i++) {
      const peek = await countCommands(connection, () => client.request('GET', '/peek'));
      expect(peek.result.status).toBe(200);
      expect(peek.byCommand.hgetall).toBe(1);
      expect(peek.byCommand.pexpireat).toBeUndefined();
    }
    expect(await pttl(connection, key)).toBeLessThanOrEqual(30_000);
    await sleep(touchAfterMs);
    // A period later the touch is sent again, and slides the expiry back to the cookie's 60 s.
    const late = await countCommands(connection, () => client.request('GET', '/peek'));
    expect(late.byCommand.hgetall).toBe(2);
    expect(late.byCommand.pexpireat).toBe(1);
    expect(await pttl(connection, key)).toBeGreaterThan(50_000);
    // Right after a touch, the next one is skipped again; a logout forgets the sid.
    expect(
      (await countCommands(connection, () => store.touch(sid, { cookie: { expires: new Date(Date.now() + 60_000) } }))).byCommand,
    ).toEqual({});
    expect((await client.request('POST', '/logout')).status).toBe(200);
    expect((await client.request('GET', '/peek')).status).toBe(401);
  });

  it('touchAfterMs: 0 (the default) sends every touch; a bad value is a ValidationError', async () => {
    const { connection, base, sessions } = await setup();
    const client = new Client(base);
    await client.request('POST', '/login/gina');
    for (let i = 0; i < 2; i++) {
      expect((await countCommands(connection, () => client.request('GET', '/peek'))).byCommand.pexpireat).toBe(1);
    }
    for (const touchAfterMs of [-1, 0.5, Number.NaN, '10' as unknown as number]) {
      expect(() => createExpressSessionStore(session, { sessions, touchAfterMs }), String(touchAfterMs)).toThrow(
        expect.objectContaining({ name: 'ValidationError', field: 'touchAfterMs' }),
      );
    }
  });
});

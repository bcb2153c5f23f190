import { tracingChannel } from 'node:diagnostics_channel';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { OperationContext } from '../../src/core/telemetry.js';
import { ValidationError } from '../../src/index.js';
import {
  createFastifySessionStore,
  type FastifySessionStore,
  type SessionStore,
  type SessionStoreOptions,
} from '../../src/session/index.js';
import { tokenId } from '../../src/session/token.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { newStore, pttl, sessionKey, sleep } from './helpers.js';
import { Client } from './http-client.js';

declare module 'fastify' {
  interface Session {
    userId?: string;
    views?: number;
  }
}

const apps: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

async function setup(options: Omit<SessionStoreOptions, 'connection'> = {}, rolling = true) {
  const { connection, sessions } = await newStore({ absoluteTimeoutMs: 3_600_000, ...options });
  const store = createFastifySessionStore({ sessions });
  const base = await startApp(store, rolling);
  return { connection, sessions, store, base };
}

async function startApp(store: FastifySessionStore, rolling: boolean) {
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    store,
    idGenerator: store.idGenerator,
    secret: 'a test secret that is long enough to sign',
    cookieName: 'sid',
    saveUninitialized: false,
    rolling,
    cookie: { secure: false, httpOnly: true, sameSite: 'lax', maxAge: 60_000 },
  });
  app.post<{ Params: { user: string } }>('/login/:user', async (request) => {
    await store.regenerateFor(request, request.params.user);
    request.session.set('userId', request.params.user);
    return { ok: true };
  });
  app.get('/me', async (request, reply) => {
    const userId = request.session.get('userId');
    if (!userId) return reply.code(401).send({ error: 'not logged in' });
    request.session.set('views', (request.session.get('views') ?? 0) + 1);
    return { user: userId, views: request.session.get('views') };
  });
  app.get('/peek', async (request, reply) => {
    const userId = request.session.get('userId');
    return reply.code(userId ? 200 : 401).send({ user: userId ?? null });
  });
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  app.post('/logout-everywhere', async (request) => ({ revoked: await store.destroyAll(request.session.get('userId') as string) }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  apps.push(app);
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

describe(`@fastify/session store on ${target} via ${driver}`, () => {
  it('login, authenticated requests, logout, and log out everywhere from a second client, over HTTP', async () => {
    const { sessions, base } = await setup();
    const laptop = new Client(base, 'laptop-browser/2.0');
    const phone = new Client(base, 'phone-app/3.1');
    expect((await laptop.request('GET', '/me')).status).toBe(401);
    expect((await laptop.request('POST', '/login/alice')).status).toBe(200);
    expect(await laptop.request('GET', '/me')).toEqual({ status: 200, body: { user: 'alice', views: 1 } });
    expect(await laptop.request('GET', '/me')).toEqual({ status: 200, body: { user: 'alice', views: 2 } });
    expect(laptop.sid().slice(0, 22)).toBe(sessions.tagOf('alice'));
    await phone.request('POST', '/login/alice');
    expect((await phone.request('GET', '/me')).body).toEqual({ user: 'alice', views: 1 });
    const bob = new Client(base);
    await bob.request('POST', '/login/bob');
    // The SessionStore sees alice's Fastify sessions, with where they were opened from.
    const listed = await sessions.list('alice');
    expect(listed.map((s) => [s.id, s.ip, s.userAgent]).sort()).toEqual(
      [
        [tokenId(laptop.sid()), '127.0.0.1', 'laptop-browser/2.0'],
        [tokenId(phone.sid()), '127.0.0.1', 'phone-app/3.1'],
      ].sort(),
    );
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
    await laptop.request('POST', '/login/alice');
    expect((await laptop.request('GET', '/me')).body).toEqual({ user: 'alice', views: 1 });
  });

  it('honours maxSessionsPerUser: a login over the limit evicts the oldest session, whose client is logged out', async () => {
    const { connection, sessions, base } = await setup({ maxSessionsPerUser: 2 });
    const clients = [new Client(base), new Client(base), new Client(base)];
    for (const c of clients.slice(0, 2)) await c.request('POST', '/login/carol');
    const evicted = (clients[0] as Client).sid();
    // The third login's save finds the user at the limit, reads the index (a ZRANGE), then
    // evicts (a ZRANGE inside the script) in the same step as it saves.
    const third = clients[2] as Client;
    const { byCommand } = await countCommands(connection, () => third.request('POST', '/login/carol'));
    expect(byCommand.zrange).toBe(2);
    expect((await clients[0]?.request('GET', '/peek'))?.status).toBe(401);
    expect((await clients[1]?.request('GET', '/peek'))?.status).toBe(200);
    expect((await third.request('GET', '/peek')).status).toBe(200);
    expect((await sessions.list('carol')).map((s) => s.id).sort()).toEqual([tokenId(clients[1]?.sid() ?? ''), tokenId(third.sid())].sort());
    // The evicted session's data is gone: only a tombstone is left.
    const key = sessionKey(connection, evicted, tokenId(evicted));
    expect(await connection.send(['HGETALL', key], key)).toEqual(['r', '1']);
  });

  it('sliding (default): every request saves (rolling) and moves the expiry; saves never pass the absolute lifetime', async () => {
    const { connection, base } = await setup();
    const client = new Client(base);
    await client.request('POST', '/login/dave');
    const key = sessionKey(connection, client.sid(), tokenId(client.sid()));
    await connection.send(['PEXPIRE', key, 5000], key);
    expect((await client.request('GET', '/peek')).status).toBe(200);
    expect(await pttl(connection, key)).toBeGreaterThan(50_000);
    await connection.send(['HSET', key, 'x', Date.now() + 1500], key);
    expect((await client.request('GET', '/peek')).status).toBe(200);
    expect(await pttl(connection, key)).toBeLessThanOrEqual(1500);
    await sleep(1700);
    expect((await client.request('GET', '/peek')).status).toBe(401);
  });

  it('sliding: false: saves (rolling or modified) never move the expiry later, so a busy session still ends', async () => {
    const { connection, base } = await setup({ sliding: false, idleTimeoutMs: 60_000 });
    const client = new Client(base);
    await client.request('POST', '/login/erin');
    const key = sessionKey(connection, client.sid(), tokenId(client.sid()));
    await connection.send(['PEXPIRE', key, 1500], key);
    for (let i = 0; i < 3; i++) {
      expect((await client.request('GET', '/me')).status).toBe(200);
      expect(await pttl(connection, key)).toBeLessThanOrEqual(1500);
    }
    await sleep(1700);
    expect((await client.request('GET', '/me')).status).toBe(401);
  });

  it('a request in flight cannot write a revoked session back; malformed ids cost no Redis call', async () => {
    const { connection, store, sessions } = await setup();
    const sid = `${sessions.tagOf('frank')}.${store.idGenerator().slice(23)}`;
    const session = { cookie: { expires: new Date(Date.now() + 60_000) }, userId: 'frank' };
    await store.set(sid, session);
    expect(await store.get(sid)).toMatchObject({ userId: 'frank' });
    expect(await store.destroyAll('frank')).toBe(1);
    await store.set(sid, { ...session, views: 9 });
    expect(await store.get(sid)).toBeNull();
    const { total, result } = await countCommands(connection, () =>
      Promise.all(['', 'abc', 'x'.repeat(5000), undefined].map((id) => new Promise((r) => store.get(id as string, (_e, s) => r(s))))),
    );
    expect(total).toBe(0);
    expect(result).toEqual([null, null, null, null]);
  });

  it('bad input is a ValidationError with nothing sent', async () => {
    const { connection, store, sessions } = await setup();
    const { total } = await countCommands(connection, async () => {
      const cookie = { expires: new Date(Date.now() + 60_000) };
      await expectInvalid(() => store.set('not-a-token', { cookie }), 'sid');
      // A session whose user does not match its id's routing tag (a login without regenerateFor).
      await expectInvalid(() => store.set(store.idGenerator(), { cookie, userId: 'mallory' }), 'sid', /regenerateFor/);
      const viaCallback = await new Promise((resolve) => store.set('not-a-token', { cookie }, resolve));
      expect(viaCallback).toBeInstanceOf(ValidationError);
      await expectInvalid(() => store.regenerateFor({ session: { regenerate: async () => {} } }, ''), 'userId');
      await expectInvalid(() => store.destroyAll(''), 'userId');
      // Not a SessionStore: missing, or an object lacking its tagOf or its connection.
      await expectInvalid(() => createFastifySessionStore(undefined as unknown as { sessions: SessionStore }), 'sessions');
      for (const notAStore of [undefined, {}, { connection }, { tagOf: (userId: string) => sessions.tagOf(userId) }]) {
        await expectInvalid(() => createFastifySessionStore({ sessions: notAStore as unknown as SessionStore }), 'sessions');
      }
      for (const [field, bad] of [
        ['ttlMs', { ttlMs: 0 }],
        ['tombstoneMs', { tombstoneMs: -1 }],
        ['userId', { userId: 'userId' }],
        ['clientInfo', { clientInfo: 'ip' }],
      ] as const) {
        await expectInvalid(() => createFastifySessionStore({ sessions, ...(bad as object) }), field);
      }
      // What clientInfo returns is checked too, before anything is sent.
      const odd = createFastifySessionStore({ sessions, clientInfo: () => ({ ip: 42 as unknown as string }) });
      await expectInvalid(() => odd.regenerateFor({ session: { regenerate: async () => {} } }, 'grace'), 'ip');
    });
    expect(total).toBe(0);
  });

  it('its operations are traced, with the adapter attribute', async () => {
    const { base } = await setup();
    const seen: OperationContext[] = [];
    const channel = tracingChannel<object, OperationContext>('redis-patterns:session');
    const handlers = { start: (c: OperationContext) => seen.push(c), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    channel.subscribe(handlers);
    try {
      const client = new Client(base);
      await client.request('POST', '/login/gina');
      await client.request('GET', '/peek');
      await client.request('POST', '/logout');
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(seen.every((c) => c.attributes.adapter === 'fastify')).toBe(true);
    expect(seen.map((c) => [c.operation, c.outcome])).toEqual([
      ['destroy', 'missing'], // regenerate destroys the (never saved) anonymous session
      ['set', 'saved'], // regenerate saves the new, still anonymous session
      ['set', 'saved'], // the login's save, with the user
      ['get', 'found'],
      ['set', 'saved'], // rolling
      ['get', 'found'],
      ['destroy', 'revoked'],
    ]);
  });
});

// What the session module publishes on its tracing channel: each operation under its own
// name with the outcome a dashboard splits on (found or missing, revoked, rotated).
import { tracingChannel } from 'node:diagnostics_channel';
import session from 'express-session';
import { describe, expect, it } from 'vitest';
import type { OperationContext } from '../../src/core/telemetry.js';
import { createExpressSessionStore } from '../../src/session/index.js';
import { driver, target } from '../harness/redis.js';
import { newStore } from './helpers.js';

describe(`SessionStore tracing on ${target} via ${driver}`, () => {
  it('names every operation and reports its outcome', async () => {
    const { sessions } = await newStore();
    const live = await sessions.create('user-trace');
    const other = await sessions.create('user-trace');
    const gone = await sessions.create('user-trace');
    await sessions.destroy(gone.token);
    const seen: OperationContext[] = [];
    const channel = tracingChannel<object, OperationContext>('redis-patterns:session');
    const handlers = { start: (c: OperationContext) => seen.push(c), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    channel.subscribe(handlers);
    try {
      await sessions.touch(live.token);
      await sessions.touch(gone.token);
      await sessions.destroy(gone.token);
      await sessions.destroyById('user-trace', other.id);
      await sessions.rotate(gone.token);
      await sessions.rotate(live.token);
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(seen.map((c) => [c.operation, c.outcome])).toEqual([
      ['touch', 'found'],
      ['touch', 'missing'],
      ['destroy', 'missing'],
      ['destroyById', undefined],
      ['rotate', 'missing'],
      ['rotate', 'rotated'],
    ]);
  });

  it('the framework stores name get, set, touch, destroy and destroyAll, with the outcome of each', async () => {
    const { sessions } = await newStore();
    const store = createExpressSessionStore(session, { sessions, touchAfterMs: 60_000 });
    // Another process's store: what it saved, this one has never slid.
    const elsewhere = createExpressSessionStore(session, { sessions });
    const cookie = { expires: new Date(Date.now() + 60_000) };
    const user = `${sessions.tagOf('user-fw')}.${store.genid({}).slice(23)}`;
    const anonymous = store.genid({});
    const neverSaved = store.genid({});
    await elsewhere.set(anonymous, { cookie });
    const seen: OperationContext[] = [];
    const channel = tracingChannel<object, OperationContext>('redis-patterns:session');
    const handlers = { start: (c: OperationContext) => seen.push(c), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    channel.subscribe(handlers);
    try {
      await store.get(neverSaved);
      await store.get(anonymous);
      await store.touch(anonymous, { cookie });
      await store.touch(anonymous, { cookie });
      // A touch that found nothing is not remembered as a slide: the next one is sent too.
      await store.touch(neverSaved, { cookie });
      await store.touch(neverSaved, { cookie });
      await store.set(user, { cookie, userId: 'user-fw' });
      await store.destroy(user);
      await store.set(user, { cookie, userId: 'user-fw' });
      // Nor is a save refused because the session was revoked.
      await store.touch(user, { cookie });
      await store.set(anonymous, { cookie: { expires: new Date(Date.now() - 1000) } });
      await store.destroy('not-a-token');
      await store.destroyAll('user-fw');
    } finally {
      channel.unsubscribe(handlers);
    }
    expect(seen.map((c) => [c.operation, c.outcome, c.attributes.adapter])).toEqual([
      ['get', 'missing', 'express'],
      ['get', 'found', 'express'],
      ['touch', 'found', 'express'],
      ['touch', 'skipped', 'express'],
      ['touch', 'missing', 'express'],
      ['touch', 'missing', 'express'],
      ['set', 'saved', 'express'],
      ['destroy', 'revoked', 'express'],
      ['set', 'revoked', 'express'],
      ['touch', 'missing', 'express'],
      ['set', 'expired', 'express'],
      ['destroy', 'missing', 'express'],
      ['destroyAll', undefined, 'express'],
    ]);
  });
});

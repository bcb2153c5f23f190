// What the session module publishes on its tracing channel: each operation under its own
// name with the outcome a dashboard splits on (found or missing, revoked, rotated).
import { tracingChannel } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import type { OperationContext } from '../../src/core/telemetry.js';
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
});

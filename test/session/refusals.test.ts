// Every refusal of SessionStore names the option or argument at fault and says what is wrong,
// so a caller can tell a bad idle timeout from a bad lifetime or a bad data field.
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/session/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { newStore } from './helpers.js';

describe(`SessionStore refusals on ${target} via ${driver}`, () => {
  it('the constructor names the bad option', async () => {
    const { connection } = await newStore();
    await expectInvalid(() => new SessionStore(null as unknown as never), 'options', /object/);
    await expectInvalid(() => new SessionStore(undefined as unknown as never), 'options', /object/);
    // Not an object at all: refused as the options, not blamed on a missing connection.
    await expectInvalid(() => new SessionStore('redis://localhost' as unknown as never), 'options', /object/);
    await expectInvalid(() => new SessionStore({ connection, idleTimeoutMs: 0 }), 'idleTimeoutMs');
    await expectInvalid(() => new SessionStore({ connection, absoluteTimeoutMs: 0 }), 'absoluteTimeoutMs');
    await expectInvalid(() => new SessionStore({ connection, maxSessionsPerUser: -1 }), 'maxSessionsPerUser');
    // A truthy secret that is neither text nor bytes is refused too, not only the empty string.
    await expectInvalid(
      () => new SessionStore({ connection, tagSecret: 5 as unknown as string }),
      'tagSecret',
      /non-empty string or a Buffer/,
    );
    await expectInvalid(() => new SessionStore({ connection, tagSecret: '' }), 'tagSecret', /non-empty string or a Buffer/);
  });

  it('create names the bad per-session timeout or data, before anything is sent', async () => {
    const { connection, sessions } = await newStore();
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => sessions.create('user-r', {}, { idleTimeoutMs: 0 }), 'idleTimeoutMs');
      await expectInvalid(() => sessions.create('user-r', {}, { absoluteTimeoutMs: 0 }), 'absoluteTimeoutMs');
      await expectInvalid(
        () => sessions.create('user-r', {}, { absoluteTimeoutMs: sessions.absoluteTimeoutMs + 1 }),
        'absoluteTimeoutMs',
        new RegExp(`at most the store's ${sessions.absoluteTimeoutMs}`),
      );
      // A string is iterable by Object.entries: it must be refused, not stored as fields 0, 1, 2.
      await expectInvalid(() => sessions.create('user-r', 'abc' as unknown as Record<string, unknown>), 'data', /plain object/);
      await expectInvalid(() => sessions.create('user-r', [] as unknown as Record<string, unknown>), 'data', /plain object/);
      await expectInvalid(() => sessions.create('user-r', { '': 1 }), 'data field name');
      // JSON.parse makes an own "__proto__" property, as a request body would.
      await expectInvalid(() => sessions.create('user-r', JSON.parse('{"__proto__":{"admin":true}}')), 'data field name', /__proto__/);
    });
    expect(total).toBe(0);
  });
});

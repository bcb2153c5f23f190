import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/session/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { newStore, pttl, sessionKey, sleep } from './helpers.js';

describe(`SessionStore sliding on ${target} via ${driver}`, () => {
  it('sliding: false: get and touch never move the expiry, so a session lives idleTimeoutMs from creation however busy', async () => {
    const { connection, sessions } = await newStore({ idleTimeoutMs: 1500, sliding: false });
    expect(sessions.sliding).toBe(false);
    const { token, id, expiresAt } = await sessions.create('user-fixed', { role: 'nurse' });
    const key = sessionKey(connection, token, id);
    const started = Date.now();
    let lastAlive = 0;
    while (Date.now() - started < 2200) {
      const s = await sessions.get(token);
      if (s) {
        lastAlive = Date.now();
        expect(s.expiresAt).toBe(expiresAt);
        expect(s.data).toEqual({ role: 'nurse' });
      }
      // Well before the expiry (a check at the boundary could race it): touch finds it, and moves nothing.
      if (Date.now() - started < 1000) expect(await sessions.touch(token)).toBe(true);
      await sleep(100);
    }
    // Used every 100 ms, still gone after its 1.5 s.
    expect(lastAlive - started).toBeLessThan(1600);
    expect(await sessions.get(token)).toBeNull();
    expect(await pttl(connection, key)).toBe(-2);
  });

  it('a get without sliding is one round trip with no expiry write; the default slides', async () => {
    const connection = await testConnection();
    const fixed = new SessionStore({ connection, sliding: false });
    const sliding = new SessionStore({ connection });
    expect(sliding.sliding).toBe(true);
    const a = await fixed.create('user-a');
    const b = await sliding.create('user-b');
    // Loads the script on the nodes of both sessions (on a cluster they may live on different nodes).
    await fixed.get(a.token);
    await sliding.get(b.token);
    const off = await countCommands(connection, () => fixed.get(a.token));
    expect(off.byCommand).toEqual({ evalsha: 1, hgetall: 1, zscore: 1, time: 1, pexpiretime: 1 });
    expect(off.result?.expiresAt).toBe(a.expiresAt);
    const on = await countCommands(connection, () => sliding.get(b.token));
    expect(on.byCommand).toEqual({ evalsha: 1, hgetall: 1, zscore: 1, time: 1, pexpireat: 1 });
  });

  it('a bad sliding option is a ValidationError, nothing sent', async () => {
    const connection = await testConnection();
    const { total } = await countCommands(connection, async () => {
      for (const sliding of ['no', 0, null]) {
        await expectInvalid(() => new SessionStore({ connection, sliding: sliding as unknown as boolean }), 'sliding');
      }
    });
    expect(total).toBe(0);
  });
});

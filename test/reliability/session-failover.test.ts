// SessionStore across the failover of its primary (Sentinel, or the Cluster shard of the
// users), the replica cut off before the primary is killed so that what the primary wrote
// meanwhile is deterministically missing on the promoted replica. With `durability`, a login
// or a logout that resolved survives, and one attempted while unreplicated rejects with
// ReplicationError (so the app retries the logout). Without it, a login made then is gone
// (the user is logged out) and a logout made then is undone (the session is valid again).
import { describe, expect, it } from 'vitest';
import { ReplicationError } from '../../src/index.js';
import { SessionStore } from '../../src/session/index.js';
import { DURABLE, errorCounts, failoverKind, outcome, untilItWorks, useFailoverTopology } from '../harness/failover.js';
import { driver } from '../harness/redis.js';

describe.skipIf(!failoverKind)(`SessionStore across a ${failoverKind} failover via ${driver}`, () => {
  const fixture = useFailoverTopology();

  it('durable logins and logouts survive, refused while unreplicated; plain ones made then are lost', async (context) => {
    const topo = fixture.topology();
    const durable = new SessionStore({ connection: await fixture.connect(), durability: DURABLE });
    const plain = new SessionStore({ connection: await fixture.connect() });
    const tagOf = (user: string) => durable.tagOf(user);
    const nurse = topo.onVictim('nurse', tagOf);
    const clerk = topo.onVictim('clerk', tagOf);

    const kept = await durable.create(nurse, { ward: 'cardiology' });
    const loggingOut = await durable.create(nurse, {});
    const loggedOut = await durable.create(nurse, {});
    expect(await durable.destroy(loggedOut.token)).toBe(true);
    const plainLoggingOut = await plain.create(clerk, {});
    await topo.replicaCaughtUp();

    await topo.cutReplication();
    const login = await outcome(durable.create(nurse, {}));
    expect(login.error).toBeInstanceOf(ReplicationError);
    expect(login.ms).toBeGreaterThanOrEqual(DURABLE.waitMs - 5);
    expect(login.ms).toBeLessThan(DURABLE.waitMs + 1500);
    expect((await outcome(durable.destroy(loggingOut.token))).error).toBeInstanceOf(ReplicationError);
    const plainLogin = await plain.create(clerk, {});
    expect(await plain.destroy(plainLoggingOut.token)).toBe(true);

    const killedAt = performance.now();
    await topo.failover();
    const errors: unknown[] = [];
    // Read through the plain store (the durable one reads the same way: reads never wait).
    const read = (token: string) => untilItWorks(() => plain.get(token), errors);
    expect(await read(kept.token)).toMatchObject({ userId: nurse, data: { ward: 'cardiology' } });
    const readAgainMs = performance.now() - killedAt;
    expect(await read(loggedOut.token)).toBeNull();
    // Without durability: the login is gone, the logout undone.
    expect(await read(plainLogin.token)).toBeNull();
    expect(await read(plainLoggingOut.token)).toMatchObject({ userId: clerk });
    // The refused logout may or may not have survived (here it did not): the app retries it,
    // once the promoted replica has a replica of its own to confirm it.
    expect(await read(loggingOut.token)).toMatchObject({ userId: nurse });
    await topo.rejoin();
    // A retried logout resolves `false` when an earlier try already removed the session (its
    // WAIT timed out while the rejoin was under way): what matters is that it is gone.
    await untilItWorks(() => durable.destroy(loggingOut.token), errors);
    expect(await read(loggingOut.token)).toBeNull();
    await untilItWorks(() => durable.create(nurse, {}), errors);
    await context.annotate(
      `sessions read again ${Math.round(readAgainMs)} ms after the kill; durable: the login and logout refused while unreplicated (ReplicationError after ${Math.round(login.ms)} ms), the others kept; plain: 1 login lost, 1 logout undone; callers saw ${JSON.stringify(errorCounts(errors))}`,
    );
  }, 90_000);
});

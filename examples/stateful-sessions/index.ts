// Stateful sessions for a patient portal: a nurse logs in on a laptop and a phone, each API
// call is one Redis round trip that also slides the session's expiry, a privilege change
// rotates the token, the "active devices" page lists both sessions, and "log out
// everywhere" ends them all at once. Redis only ever holds SHA-256 digests of the tokens.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { SessionStore } from 'redis-patterns/session';
import { check, withRedis } from '../_shared/redis.js';

await withRedis(async (url) => {
  const client = new Redis(url);
  const connection = RedisConnection.from(client, { prefix: 'portal' });
  try {
    const sessions = new SessionStore({
      connection,
      idleTimeoutMs: 15 * 60_000, // 15 minutes without a request ends a session
      absoluteTimeoutMs: 8 * 3_600_000, // a working shift, however active
      maxSessionsPerUser: 3,
      tagSecret: 'portal-routing-key', // keeps the user id out of the token (see docs/session.md)
    });

    // Login on two devices: each gets an opaque token (put it in an HttpOnly cookie).
    const laptop = await sessions.create('nurse-17', { role: 'nurse', ward: 'cardiology' }, { ip: '10.1.2.3', userAgent: 'Firefox/133' });
    const phone = await sessions.create(
      'nurse-17',
      { role: 'nurse', ward: 'cardiology' },
      { ip: '10.1.9.9', userAgent: 'PortalApp/4.2 iOS' },
    );
    console.log(`laptop token: ${laptop.token.slice(0, 30)}... (66 chars, 256 random bits after the routing tag)`);

    // An API request: one round trip reads the session and slides its idle expiry.
    const onRequest = await sessions.get(laptop.token);
    check(onRequest?.userId === 'nurse-17' && onRequest.data.role === 'nurse', 'the laptop session authenticates the request');
    console.log(
      `request as ${onRequest.userId} (${String(onRequest.data.role)}), expires at ${new Date(onRequest.expiresAt).toISOString()}`,
    );

    // The nurse picks up a patient: update one field, leave the rest alone.
    await sessions.update(laptop.token, { currentPatient: 'patient-881' });

    // Elevated to charge nurse: rotate the token so a copy of the old one is worthless.
    await sessions.update(laptop.token, { role: 'charge-nurse' });
    const rotated = await sessions.rotate(laptop.token);
    check(rotated !== null, 'rotation issued a new token');
    check((await sessions.get(laptop.token)) === null, 'the old laptop token no longer works');
    const afterRotate = await sessions.get(rotated);
    check(
      afterRotate?.data.role === 'charge-nurse' && afterRotate.data.currentPatient === 'patient-881',
      'data carried over to the new token',
    );

    // The "active devices" page.
    const devices = await sessions.list('nurse-17');
    for (const d of devices) console.log(`active: ${d.userAgent} from ${d.ip}, since ${new Date(d.createdAt).toISOString()}`);
    check(devices.length === 2, 'two active sessions: laptop and phone');

    // Nothing usable in Redis: scan every key and value for the tokens.
    let leaked = false;
    for await (const keys of connection.scan('portal:*')) {
      for (const key of keys) {
        const dump = JSON.stringify([
          key,
          (await client.type(key)) === 'hash' ? await client.hgetall(key) : await client.zrange(key, 0, -1),
        ]);
        for (const t of [rotated, phone.token]) if (dump.includes(t.split('.')[1] as string)) leaked = true;
      }
    }
    check(!leaked, 'no token appears in Redis, only SHA-256 digests');

    // Phone stolen: log out everywhere from the laptop.
    const revoked = await sessions.destroyAll('nurse-17');
    console.log(`log out everywhere: ${revoked} sessions revoked`);
    check((await sessions.get(rotated)) === null && (await sessions.get(phone.token)) === null, 'every session of the nurse is gone');
    check((await sessions.list('nurse-17')).length === 0, 'the active devices page is empty');

    // A malformed cookie costs nothing: rejected before any Redis call.
    check((await sessions.get('not-a-session-token')) === null, 'a malformed token reads as no session');
  } finally {
    await client.quit();
  }
});

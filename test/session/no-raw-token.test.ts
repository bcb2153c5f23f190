import session from 'express-session';
import { describe, expect, it } from 'vitest';
import { createExpressSessionStore } from '../../src/session/index.js';
import { tokenId } from '../../src/session/token.js';
import { driver, target } from '../harness/redis.js';
import { dumpAll, newStore } from './helpers.js';

describe(`no raw token in Redis on ${target} via ${driver}`, () => {
  it('stores only SHA-256 digests of tokens and sids: SCAN of every key and value finds none', async () => {
    const { connection, sessions } = await newStore({ maxSessionsPerUser: 3 });
    const tokens: string[] = [];
    for (const user of ['u-1', 'u-2']) {
      for (let i = 0; i < 4; i++) {
        tokens.push((await sessions.create(user, { i, note: 'data' }, { ip: '203.0.113.9', userAgent: 'agent' })).token);
      }
    }
    const rotated = await sessions.rotate(tokens[7] as string);
    tokens.push(rotated as string);
    for (const t of tokens) await sessions.get(t);
    await sessions.update(tokens[6] as string, { more: 'x' });
    const store = createExpressSessionStore(session, { sessions });
    const sids = [store.genid({}), `${sessions.tagOf('u-3')}.${store.genid({}).slice(23)}`];
    for (const sid of sids)
      await store.set(sid, {
        cookie: { expires: new Date(Date.now() + 60_000) },
        userId: sid.startsWith(sessions.tagOf('u-3')) ? 'u-3' : undefined,
      });
    await store.destroy(sids[0] as string); // leaves a tombstone

    const dump = await dumpAll(connection);
    const secrets = [...tokens, ...sids].map((t) => t.split('.')[1] as string);
    expect(dump.length).toBeGreaterThan(8);
    for (const { key, content } of dump) {
      for (const secret of secrets) {
        // Any 16-character window of a secret would be a leak, not only the whole token.
        for (let at = 0; at + 16 <= secret.length; at += 9) {
          const piece = secret.slice(at, at + 16);
          expect(key.includes(piece) || content.includes(piece), `secret piece in ${key}`).toBe(false);
        }
      }
    }
    // The digests are what is there: the live sessions are found under their token's SHA-256.
    const keys = dump.map((d) => d.key).join('\n');
    expect(keys).toContain(tokenId(tokens[6] as string));
    expect(keys).toContain(tokenId(sids[1] as string));
  });
});

// SessionStore and its express-session adapter side by side with connect-redis, which runs
// on node-redis: our node-redis rows are the like-for-like comparison, ioredis is reported too.
import { createHash } from 'node:crypto';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RedisConnection } from 'redis-patterns';
import { createExpressSessionStore, SessionStore } from 'redis-patterns/session';
import type { BenchContext } from './lib/types.js';

const SESSIONS = 1000;
const DATA = { userId: 'user-0', role: 'nurse', ward: 'cardiology', preferences: { theme: 'dark', lang: 'en' } };

export default async function sessionBench(ctx: BenchContext): Promise<void> {
  const nr = createClient({ url: ctx.redisUrl });
  await nr.connect();
  const io = new Redis(ctx.redisUrl);
  const peer = new RedisStore({ client: nr, prefix: 'bench:connect-redis:', ttl: 1800 });
  const onNodeRedis = new SessionStore({ connection: RedisConnection.from(nr, { prefix: 'bench' }) });
  const onIoredis = new SessionStore({ connection: RedisConnection.from(io, { prefix: 'bench' }) });
  const express = createExpressSessionStore(session, { sessions: onNodeRedis });
  // The same sessions through a store that skips a touch within a minute of its last slide of that sid.
  const lazyExpress = createExpressSessionStore(session, { sessions: onNodeRedis, touchAfterMs: 60_000 });
  const cookie = () => ({ originalMaxAge: 1_800_000, expires: new Date(Date.now() + 1_800_000), httpOnly: true, path: '/' });

  // The same population for everyone: SESSIONS sessions of SESSIONS users.
  const sids: string[] = [];
  const tokens: string[] = [];
  const expressSids: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const sid = `sid-${i}-${Math.random().toString(36).slice(2)}`;
    sids.push(sid);
    await peer.set(sid, { cookie: cookie(), ...DATA } as unknown as session.SessionData);
    tokens.push((await onNodeRedis.create(`user-${i}`, DATA)).token);
    const expressSid = `${onNodeRedis.tagOf(`user-${i}`)}.${express.genid({}).slice(23)}`;
    expressSids.push(expressSid);
    await express.set(expressSid, { cookie: cookie(), ...DATA, userId: `user-${i}` });
  }
  const pick = <T>(list: T[], i: number) => list[i % SESSIONS] as T;

  // The least a one-round-trip get of a hash session with a per-user index can do: one script
  // that reads the hash, checks the index and slides the TTL (no deadline cap, no Redis time,
  // no last-seen), with no library around it. Our get cannot be cheaper than this.
  const floorScript = await nr.scriptLoad(
    "local h = redis.call('HGETALL', KEYS[1]) if redis.call('ZSCORE', KEYS[2], ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return h",
  );
  const floorCalls = tokens.map((token) => {
    const id = createHash('sha256').update(token).digest('base64url');
    const tag = token.slice(0, 22);
    return { keys: [`bench:session:{${tag}}:s:${id}`, `bench:session:{${tag}}:idx`], arguments: [id, '1800000'] };
  });
  if (Object.keys((await nr.evalSha(floorScript, floorCalls[0] as { keys: string[]; arguments: string[] })) as object).length === 0) {
    throw new Error('the floor case does not find the sessions: key layout changed');
  }
  // The same for a field update: check the session is live and in its user's index, set one field.
  const updateFloorScript = await nr.scriptLoad(
    "local c = redis.call('HMGET', KEYS[1], 'x', 'r', 'u') if c[1] and not c[2] and redis.call('ZSCORE', KEYS[2], ARGV[1]) then redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) return 1 end return 0",
  );
  const updateFloor = (i: number) => {
    const { keys, arguments: args } = pick(floorCalls, i);
    return nr.evalSha(updateFloorScript, { keys, arguments: [args[0] as string, 'd:n', String(i)] });
  };
  if ((await updateFloor(0)) !== 1) throw new Error('the update floor case does not find the sessions');

  type Op = (i: number) => Promise<unknown>;
  // [operation, reference library, reference op, [library, op] compared with it]
  const suites: [string, string, Op, [string, Op][]][] = [
    [
      'get',
      'connect-redis get (no touch)',
      (i) => peer.get(pick(sids, i)),
      [
        ['SessionStore.get + slide (node-redis)', (i) => onNodeRedis.get(pick(tokens, i))],
        ['SessionStore.get + slide (ioredis)', (i) => onIoredis.get(pick(tokens, i))],
        ['express store get (node-redis)', (i) => express.get(pick(expressSids, i))],
      ],
    ],
    [
      // What express-session does for an unmodified request: get, then touch.
      'get + touch',
      'connect-redis get + touch',
      async (i) => peer.touch(pick(sids, i), (await peer.get(pick(sids, i))) as session.SessionData),
      [
        [
          'express store get + touch (node-redis)',
          async (i) => express.touch(pick(expressSids, i), (await express.get(pick(expressSids, i))) ?? {}),
        ],
        [
          'express store get + touch, touchAfterMs 60 s (node-redis)',
          async (i) => lazyExpress.touch(pick(expressSids, i), (await lazyExpress.get(pick(expressSids, i))) ?? {}),
        ],
        // Our get slides the expiry itself: one call does what connect-redis needs two for.
        ['SessionStore.get + slide (node-redis)', (i) => onNodeRedis.get(pick(tokens, i))],
        ['SessionStore.get + slide (ioredis)', (i) => onIoredis.get(pick(tokens, i))],
        ['floor: one script, HGETALL + ZSCORE + PEXPIRE, no library (node-redis)', (i) => nr.evalSha(floorScript, pick(floorCalls, i))],
      ],
    ],
    [
      'set',
      'connect-redis set',
      (i) => peer.set(pick(sids, i), { cookie: cookie(), ...DATA, n: i } as unknown as session.SessionData),
      [
        [
          'express store set (node-redis)',
          (i) => express.set(pick(expressSids, i), { cookie: cookie(), ...DATA, userId: `user-${i % SESSIONS}`, n: i }),
        ],
        ['SessionStore.update 1 field (node-redis)', (i) => onNodeRedis.update(pick(tokens, i), { n: i })],
        ['floor: one script, HMGET + ZSCORE + HSET, no library (node-redis)', updateFloor],
        ['SessionStore.create (node-redis)', (i) => onNodeRedis.create(`user-${i % SESSIONS}`, DATA)],
      ],
    ],
  ];
  try {
    for (const concurrency of [1, 50]) {
      for (const [operation, reference, refOp, ours] of suites) {
        await ctx.compare([
          { suite: 'session', operation, library: reference, concurrency, op: refOp },
          ...ours.map(([library, op]) => ({ suite: 'session', operation, library, concurrency, op, reference })),
        ]);
      }
    }
  } finally {
    await nr.close();
    await io.quit();
  }
}

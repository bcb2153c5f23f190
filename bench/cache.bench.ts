// Cache `wrap` side by side with bentocache (ioredis, like ours on ioredis) and
// cache-manager + @keyv/redis (node-redis, like ours on node-redis): hits from the Redis
// tier, hits from the in-process tier, and cold misses with stampede protection.
// Hits read 1000 pre-warmed keys; every miss uses a key never seen before. Nobody listens to
// the caches' events, as in an application without metrics: an event nobody listens to costs nothing.
import { createKeyv } from '@keyv/redis';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RedisConnection } from 'redis-patterns';
import { Cache } from 'redis-patterns/cache';
import type { BenchContext } from './lib/types.js';

const KEYS = 1000;
const TTL_MS = 600_000;
const CONCURRENCY = 50;
const value = { providerId: 42, slots: ['09:00', '09:30', '10:00', '10:30'], updatedAt: '2026-01-05T08:00:00Z' };
const load = async () => value;

export default async function cacheBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const nr = createClient({ url: ctx.redisUrl });
  await nr.connect();
  const ioConn = RedisConnection.from(io, { prefix: 'bench' });
  const nrConn = RedisConnection.from(nr, { prefix: 'bench' });
  const ours = new Cache({ connection: ioConn, ttlMs: TTL_MS });
  const oursNr = new Cache({ connection: nrConn, ttlMs: TTL_MS });
  const oursL1 = new Cache({ connection: ioConn, ttlMs: TTL_MS, l1: { maxEntries: 10_000, ttlMs: 60_000 } });
  // L1 holds nothing until it listens for invalidations: the warm-up below must fill it.
  await oursL1.ready();

  const bentoRedis = new BentoCache({
    default: 'redis',
    stores: { redis: bentostore().useL2Layer(redisDriver({ connection: io, prefix: 'bento-l2' })) },
  });
  const bentoTiered = new BentoCache({
    default: 'tiered',
    stores: {
      tiered: bentostore()
        .useL1Layer(memoryDriver({ maxItems: 10_000 }))
        .useL2Layer(redisDriver({ connection: io, prefix: 'bento-tiered' })),
    },
  });
  const keyv = createKeyv(ctx.redisUrl, { namespace: 'cm' });
  const cacheManager = createCache({ stores: [keyv] });

  const key = (i: number) => `provider:${i % KEYS}:availability`;
  const cases: { library: string; wrap: (k: string) => Promise<unknown> }[] = [
    { library: 'redis-patterns (ioredis)', wrap: (k) => ours.wrap(k, load) },
    { library: 'bentocache Redis-only (ioredis)', wrap: (k) => bentoRedis.getOrSet({ key: k, factory: load, ttl: TTL_MS }) },
    { library: 'redis-patterns (node-redis)', wrap: (k) => oursNr.wrap(k, load) },
    { library: 'cache-manager + @keyv/redis (node-redis)', wrap: (k) => cacheManager.wrap(k, load, TTL_MS) },
    { library: 'redis-patterns L1 (ioredis)', wrap: (k) => oursL1.wrap(k, load) },
    { library: 'bentocache memory+Redis (ioredis)', wrap: (k) => bentoTiered.getOrSet({ key: k, factory: load, ttl: TTL_MS }) },
    // What a miss with a cross-instance guard costs below any library: the same four commands
    // (`GET`, `SET NX PX`, then `SET PX` + `DEL` pipelined, not awaited), JSON, no options or events.
    {
      library: 'floor: GET, SET NX PX, SET PX + DEL, no library (ioredis)',
      wrap: async (k) => {
        const hit = await io.get(`floor:${k}`);
        if (hit !== null) return JSON.parse(hit);
        await io.set(`floor-guard:${k}`, 'bench', 'PX', 5000, 'NX');
        const loaded = await load();
        void io.pipeline().set(`floor:${k}`, JSON.stringify(loaded), 'PX', TTL_MS).del(`floor-guard:${k}`).exec();
        return loaded;
      },
    },
    {
      library: 'floor: GET, SET NX PX, SET PX + DEL, no library (node-redis)',
      wrap: async (k) => {
        const hit = await nr.get(`floor:${k}`);
        if (hit !== null) return JSON.parse(hit);
        await nr.set(`floor-guard:${k}`, 'bench', { NX: true, PX: 5000 });
        const loaded = await load();
        void nr.multi().set(`floor:${k}`, JSON.stringify(loaded), { PX: TTL_MS }).del(`floor-guard:${k}`).execAsPipeline();
        return loaded;
      },
    },
  ];
  try {
    // Warm every library's keys (and each L1 tier) before measuring hits.
    for (const c of cases) for (let i = 0; i < KEYS; i++) await c.wrap(key(i));

    const hit = (library: string, reference?: string) => {
      const c = cases.find((x) => x.library === library) as (typeof cases)[number];
      return { library, concurrency: CONCURRENCY, op: (i: number) => c.wrap(key(i)), reference };
    };
    const compare = (operation: string, ...cs: ReturnType<typeof hit>[]) =>
      ctx.compare(cs.map((c) => ({ suite: 'cache', operation, ...c })));
    await compare(
      'wrap hit, Redis tier (ioredis)',
      hit('bentocache Redis-only (ioredis)'),
      hit('redis-patterns (ioredis)', 'bentocache Redis-only (ioredis)'),
    );
    await compare(
      'wrap hit, Redis tier (node-redis)',
      hit('cache-manager + @keyv/redis (node-redis)'),
      hit('redis-patterns (node-redis)', 'cache-manager + @keyv/redis (node-redis)'),
    );
    await compare(
      'wrap hit, in-process tier',
      hit('bentocache memory+Redis (ioredis)'),
      hit('redis-patterns L1 (ioredis)', 'bentocache memory+Redis (ioredis)'),
    );

    // Cold misses: a key never used before on every call, stampede protection on (the default of each).
    const miss = (library: string, reference?: string) => {
      const c = cases.find((x) => x.library === library) as (typeof cases)[number];
      const run = Math.random().toString(36).slice(2, 8);
      let n = 0; // not the measure's sequence number: that restarts every round
      return { library, concurrency: CONCURRENCY, op: () => c.wrap(`miss:${run}:${n++}`), reference };
    };
    await compare(
      'wrap miss (ioredis)',
      miss('bentocache Redis-only (ioredis)'),
      miss('redis-patterns (ioredis)', 'bentocache Redis-only (ioredis)'),
      miss('floor: GET, SET NX PX, SET PX + DEL, no library (ioredis)', 'bentocache Redis-only (ioredis)'),
    );
    await compare(
      'wrap miss (node-redis)',
      miss('cache-manager + @keyv/redis (node-redis)'),
      miss('redis-patterns (node-redis)', 'cache-manager + @keyv/redis (node-redis)'),
      miss('floor: GET, SET NX PX, SET PX + DEL, no library (node-redis)', 'cache-manager + @keyv/redis (node-redis)'),
    );
  } finally {
    await oursL1.close();
    await bentoRedis.disconnect().catch(() => undefined);
    await bentoTiered.disconnect().catch(() => undefined);
    await cacheManager.disconnect().catch(() => undefined);
    await ioConn.close(); // the L1 tier's pub/sub connection
    await nrConn.close();
    io.disconnect();
    await nr.close();
  }
}

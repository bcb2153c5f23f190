// Provider availability served read-through from Redis: the scheduling API's existing
// `ProviderModel.findAll(...)` / `findByPk(...)` calls stay as they are; the model now
// extends CachingBaseModel, so repeated searches within 60 s are answered by Redis and a
// write through the model invalidates them. The database is a real (embedded) Postgres.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Cache, CachingBaseModel } from 'redis-patterns/cache';
import { check, withRedis } from '../_shared/redis.js';
import { startDatabase } from './database.js';

interface ProviderRow {
  id: number;
  name: string;
  specialty: string;
  city: string;
}

await withRedis(async (url) => {
  const db = await startDatabase();
  const client = new Redis(url);
  const connection = RedisConnection.from(client, { prefix: 'clinic' });
  const cache = new Cache({ connection, ttlMs: 60_000 });
  // Metrics from the cache's events (an event nobody listens to costs nothing).
  const seen = { hit: 0, miss: 0, loadMs: 0, redisErrors: 0 };
  cache.on('hit', () => seen.hit++);
  cache.on('miss', () => seen.miss++);
  cache.on('load', ({ durationMs }) => {
    seen.loadMs += durationMs;
  });
  cache.on('redisError', ({ operation, error }) => {
    seen.redisErrors++;
    console.warn(`cache fell back on ${operation}: ${error.code}`);
  });
  try {
    CachingBaseModel.cache = cache;
    // The one change to application code: the base class and two statics.
    class ProviderModel extends CachingBaseModel {
      static override useCache = true;
      static override cacheTtl = 60_000;
      static override source = db.Provider;
    }

    // 300 requests, skewed like real traffic: most ask for a few popular searches.
    const searches = [
      { where: { specialty: 'cardiology', city: 'Boston' } },
      { where: { specialty: 'cardiology' } },
      { where: { specialty: 'dermatology', city: 'Boston' } },
      { where: { city: 'Cambridge' } },
    ];
    let requests = 0;
    for (let i = 0; i < 300; i++) {
      const pick = i % 10 < 6 ? 0 : i % 10 < 8 ? 1 : i % 10 < 9 ? 2 : 3;
      await ProviderModel.findAll<ProviderRow>(searches[pick]);
      if (i % 7 === 0) await ProviderModel.findByPk<ProviderRow>((i % 3) + 1);
      requests += i % 7 === 0 ? 2 : 1;
    }
    const stats = cache.stats();
    const hitRatio = stats.hits / (stats.hits + stats.misses);
    console.log(`${requests} requests, ${db.selects()} database queries, cache hit ratio ${(hitRatio * 100).toFixed(1)}%`);
    check(db.selects() === 4 + 3, `one query per distinct search and id (got ${db.selects()})`);
    check(hitRatio > 0.9, 'repeated searches are served from Redis');
    console.log(`events: ${seen.hit} hits, ${seen.miss} misses, ${seen.loadMs.toFixed(0)} ms spent in loaders`);
    check(seen.hit === stats.hits && seen.miss === stats.misses, 'the events agree with stats()');
    check(seen.redisErrors === 0, 'Redis never failed');

    // A new provider joins: the write goes to the database, then every cached search of the model is dropped.
    const before = db.selects();
    await ProviderModel.create({ name: 'Dr. Eva Lind', specialty: 'cardiology', city: 'Boston' });
    const fresh = await ProviderModel.findAll<ProviderRow>(searches[0]);
    console.log(`after create: ${fresh.map((p) => p.name).join(', ')}`);
    check(
      fresh.some((p) => p.name === 'Dr. Eva Lind'),
      'the new provider is visible at once',
    );
    check(db.selects() === before + 1, 'the search was reloaded once');

    // Per-call opt-out, e.g. for the booking confirmation page that must read the database.
    await ProviderModel.findByPk(1, { cache: false });
    check(db.selects() === before + 2, 'cache: false goes to the database');
  } finally {
    await cache.close();
    client.disconnect();
    await db.stop();
  }
});

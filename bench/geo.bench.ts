// GeoIndex.nearby (radius 5 km over 5,000 points, with payloads, one script) against
// what users write without it: GEOSEARCH, then HMGET for the payloads (two round trips).
// No peer library offers a geo index with payloads; the naive version is the reference.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { GeoIndex, type GeoItem } from 'redis-patterns/geo';
import type { BenchContext } from './lib/types.js';
import { versus } from './lib/versus.js';

interface Payload {
  name: string;
  address: string;
}

function points(count: number): GeoItem<Payload>[] {
  let s = 12345;
  const random = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: count }, (_, i) => ({
    member: `ph-${i}`,
    lon: -74.3 + random() * 0.6,
    lat: 40.5 + random() * 0.45,
    payload: { name: `Pharmacy ${i}`, address: `${i} Main Street` },
  }));
}

export default async function geoBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const connection = RedisConnection.from(io, { prefix: 'bench' });
  const index = new GeoIndex<Payload>({ connection, name: 'pharmacies' });
  const data = points(5000);
  await index.replaceAll(data);
  // The naive version reads the same keys the index wrote.
  const geoKey = connection.keys('geo').key('pharmacies', 'points');
  const payloadKey = connection.keys('geo').key('pharmacies', 'payloads');
  const centers = data.slice(0, 100).map(({ lon, lat }) => ({ lon, lat }));
  const center = (i: number) => centers[i % centers.length] as { lon: number; lat: number };

  const naive = async (i: number, count?: number) => {
    const c = center(i);
    const args: (string | number)[] = ['FROMLONLAT', c.lon, c.lat, 'BYRADIUS', 5, 'km', 'ASC'];
    if (count) args.push('COUNT', count);
    const found = (await io.call('GEOSEARCH', geoKey, ...args, 'WITHDIST')) as [string, string][];
    if (found.length === 0) return [];
    const payloads = await io.hmget(payloadKey, ...found.map((f) => f[0]));
    return found.map(([member, dist], k) => ({ member, distance: Number(dist), payload: JSON.parse(payloads[k] as string) }));
  };

  try {
    for (const concurrency of [1, 50]) {
      for (const count of [10, undefined]) {
        const operation = count ? 'nearby 5 km, 10 nearest + payloads' : 'nearby 5 km, all (~150) + payloads';
        const opts = count ? { radius: 5, unit: 'km' as const, count } : { radius: 5, unit: 'km' as const };
        await versus(ctx, 'geo', concurrency, {
          [operation]: [
            ['naive GEOSEARCH+HMGET', (i) => naive(i, count)],
            ['redis-patterns', (i) => index.nearby(center(i), opts)],
          ],
        });
      }
    }
  } finally {
    await io.quit();
  }
}

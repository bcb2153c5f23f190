// "Find a pharmacy near me": the nightly job rebuilds the pharmacy index atomically
// while the app keeps searching; a search returns names and addresses with distances
// in one round trip.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { GeoIndex, type GeoItem } from 'redis-patterns/geo';
import { check, withRedis } from '../_shared/redis.js';

interface Pharmacy {
  name: string;
  address: string;
  open24h: boolean;
}

// A deterministic city of pharmacies around midtown Manhattan.
function pharmacies(count: number, seed: number): GeoItem<Pharmacy>[] {
  let s = seed;
  const random = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: count }, (_, i) => ({
    member: `ph-${seed}-${i}`,
    lon: -74.1 + random() * 0.3,
    lat: 40.65 + random() * 0.2,
    payload: { name: `Pharmacy #${i}`, address: `${100 + i} Broadway`, open24h: i % 7 === 0 },
  }));
}

await withRedis(async (url) => {
  const client = new Redis(url);
  const connection = RedisConnection.from(client, { prefix: 'clinic' });
  const index = new GeoIndex<Pharmacy>({ connection, name: 'pharmacies' });
  try {
    const loaded = await index.replaceAll(pharmacies(2000, 1));
    console.log(`loaded ${loaded} pharmacies`);
    check(loaded === 2000, 'the first build holds every pharmacy');

    const patient = { lon: -73.9857, lat: 40.7484 }; // near the Empire State Building
    const near = await index.nearby(patient, { radius: 2, unit: 'km', count: 5, withCoordinates: true });
    for (const r of near) console.log(`  ${r.distance?.toFixed(2)} km  ${r.payload?.name}, ${r.payload?.address}`);
    check(near.length === 5, 'five pharmacies within 2 km');
    check(
      near.every((r, i) => i === 0 || (r.distance as number) >= (near[i - 1]?.distance as number)),
      'nearest first',
    );
    check(
      near.every((r) => (r.distance as number) <= 2 && r.payload?.name.startsWith('Pharmacy')),
      'within the radius, with payloads',
    );

    // From a pharmacy that is out of stock: the closest other ones, in a 1 x 1 km box.
    const first = near[0]?.member as string;
    const around = await index.nearby({ member: first }, { box: { width: 1, height: 1 }, unit: 'km', count: 4 });
    console.log(`around ${first}: ${around.map((r) => r.member).join(', ')}`);
    check(around[0]?.member === first && around[0]?.distance === 0, 'a member search starts at the member itself');

    // The nightly rebuild: readers keep getting complete answers while it loads.
    let searches = 0;
    let rebuilding = true;
    const sizes = new Set<number>();
    const reader = (async () => {
      while (rebuilding) {
        sizes.add((await index.nearby(patient, { radius: 50, unit: 'km', withPayload: false, withDistance: false })).length);
        searches++;
      }
    })();
    const live = await index.replaceAll(pharmacies(1500, 2));
    rebuilding = false;
    await reader;
    console.log(`rebuilt with ${live} pharmacies while ${searches} searches ran; result sizes seen: ${[...sizes].join(', ')}`);
    check(
      [...sizes].every((n) => n === 2000 || n === 1500),
      'no search saw a half-built index',
    );
    check((await index.size()) === 1500, 'the new index is live');
  } finally {
    await client.quit();
  }
});

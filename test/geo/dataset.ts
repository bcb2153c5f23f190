// A deterministic set of points around New York and the brute-force geometry Redis uses
// (haversine on Redis' earth radius), to check GeoIndex results against.
import type { GeoItem, GeoPoint } from '../../src/geo/index.js';

/** Redis' earth radius in meters (geohash_helper.c). */
const EARTH_RADIUS_M = 6372797.560856;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in meters, as Redis computes it. */
export function haversine(a: GeoPoint, b: GeoPoint): number {
  const u = Math.sin(rad(b.lat - a.lat) / 2);
  const v = Math.sin(rad(b.lon - a.lon) / 2);
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(u * u + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * v * v));
}

/** How far outside a box centred on `center` a point is (<= 0 inside), in meters, as Redis checks BYBOX. */
export function boxExcess(center: GeoPoint, p: GeoPoint, width: number, height: number): number {
  const latDistance = EARTH_RADIUS_M * Math.abs(rad(p.lat - center.lat));
  const lonDistance = haversine({ lon: center.lon, lat: p.lat }, p);
  return Math.max(latDistance - height / 2, lonDistance - width / 2);
}

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Pharmacy {
  name: string;
  n: number;
}

/** `count` pharmacies spread over about 50 x 50 km around Manhattan, the same on every run. */
export function pharmacies(count: number, seed = 42): GeoItem<Pharmacy>[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, (_, n) => ({
    member: `ph-${n}`,
    lon: -74.3 + random() * 0.6,
    lat: 40.5 + random() * 0.45,
    payload: { name: `Pharmacy ${n}`, n },
  }));
}

import { ValidationError } from '../core/errors.js';
import { assertInRange, assertKeyPart } from '../core/validation.js';

/** Distance units Redis understands. */
export type GeoUnit = 'm' | 'km' | 'mi' | 'ft';

/** A position in degrees (WGS 84). */
export interface GeoPoint {
  /** Longitude, -180 to 180. */
  lon: number;
  /** Latitude, -85.05112878 to 85.05112878 (Redis' geohash limits, the Web Mercator range). */
  lat: number;
}

/** Redis refuses latitudes beyond the Web Mercator limits; checked here so nothing is sent. */
export const MAX_LATITUDE = 85.05112878;

const UNITS: ReadonlySet<string> = new Set(['m', 'km', 'mi', 'ft']);

/** Throws a ValidationError unless `point` holds a longitude and latitude Redis accepts. */
export function assertPoint<T>(field: string, point: T): asserts point is T & GeoPoint {
  if (point === null || typeof point !== 'object') throw new ValidationError(field, 'must be { lon, lat }');
  assertInRange(`${field}.lon`, 'lon' in point ? point.lon : undefined, -180, 180);
  assertInRange(`${field}.lat`, 'lat' in point ? point.lat : undefined, -MAX_LATITUDE, MAX_LATITUDE);
}

/** Throws a ValidationError unless `unit` is one of {@link GeoUnit}. */
export function assertUnit(unit: unknown): asserts unit is GeoUnit {
  // Stryker disable next-line ConditionalExpression: equivalent, UNITS holds strings only, so has() is false for every non-string
  if (typeof unit !== 'string' || !UNITS.has(unit)) throw new ValidationError('unit', "must be 'm', 'km', 'mi' or 'ft'");
}

/** Throws a ValidationError unless `member` is a usable member name. */
export function assertMember(field: string, member: unknown): asserts member is string {
  // Members are hash fields and sorted-set members, not key parts, but the same size bound keeps replies sane.
  assertKeyPart(field, member);
}

/**
 * Geo index ("pharmacy near me"): add, bulk load, atomic rebuild, search by radius or
 * box from a point or a member with payloads in the same round trip, distance, position.
 *
 * @packageDocumentation
 */

export { GeoMemberNotFoundError, GeoRebuildError } from './errors.js';
export { GeoIndex, type GeoIndexOptions, type GeoItem, type NearbyCenter, type NearbyOptions, type NearbyResult } from './geo-index.js';
export { type GeoPoint, type GeoUnit, MAX_LATITUDE } from './validate.js';

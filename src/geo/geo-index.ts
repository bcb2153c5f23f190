import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import type { KeySpace } from '../core/keys.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertPositive, assertPositiveInteger, booleanOption } from '../core/validation.js';
import { addScript, listReply, nearbyScript, removeScript, swapScript } from './scripts.js';
import { instrument } from './telemetry.js';
import { assertMember, assertPoint, assertUnit, type GeoPoint, type GeoUnit } from './validate.js';

/** Most members per script call: keeps every Lua `unpack` far below its stack limit. */
const MAX_CHUNK = 1000;
/** Script arguments per member (see add.lua). */
const ARGS_PER_ITEM = 5;

/** Options of {@link GeoIndex}. */
export interface GeoIndexOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Name of the index (e.g. `'pharmacies'`), 1 to 1,024 bytes; all its keys share this hash tag. Required. */
  name: string;
  /** Members per script call in `addMany` and `replaceAll` (1 to 1,000). Default `500`. */
  chunkSize?: number;
  /**
   * Milliseconds a `replaceAll` may take to load before its temporary index expires (and
   * the rebuild fails without touching the live index). An integer > 0. Default `3_600_000` (1 hour).
   */
  rebuildTtlMs?: number;
}

/** One member to store: its position and an optional payload returned with search results. */
export interface GeoItem<P = unknown> extends GeoPoint {
  /** Unique name within the index (e.g. a pharmacy id). */
  member: string;
  /** Stored with the member (serialized with the connection's serializer), e.g. `{ name, address }`. */
  payload?: P;
}

/** Where {@link GeoIndex.nearby} searches from: a position (anything with `lon` and `lat`), or else the position of a member of the index. */
export type NearbyCenter =
  | GeoPoint
  | {
      /** A member of the index whose stored position is the center; {@link GeoMemberNotFoundError} if it is absent. */
      member: string;
    };

/** Options of {@link GeoIndex.nearby}: exactly one of `radius` or `box`. */
export interface NearbyOptions {
  /** Search within this radius (> 0) around the center, in `unit`. */
  radius?: number;
  /** Search within a box centred on the center, `width` east-west and `height` north-south, in `unit`. */
  box?: {
    /** East-west extent of the box (> 0), in `unit`. */
    width: number;
    /** North-south extent of the box (> 0), in `unit`. */
    height: number;
  };
  /** Unit of `radius`, `box` and returned distances. Default `'m'` (metres). */
  unit?: GeoUnit;
  /** At most this many results (the nearest ones, unless `any`). Default: all. */
  count?: number;
  /** With `count`: stop as soon as `count` matches are found, not necessarily the nearest (faster on big areas). Default `false`. */
  any?: boolean;
  /** `'asc'` nearest first, `'desc'` farthest first, `'none'` Redis' order. Default `'asc'`. */
  sort?: 'asc' | 'desc' | 'none';
  /** Return each result's distance from the center. Default `true`. */
  withDistance?: boolean;
  /** Return each result's stored position. Default `false`. */
  withCoordinates?: boolean;
  /** Return each result's payload (in the same round trip). Default `true`. */
  withPayload?: boolean;
}

/** One result of {@link GeoIndex.nearby}. */
export interface NearbyResult<P = unknown> {
  /** The member found. */
  member: string;
  /** Distance from the center in the requested unit (when `withDistance`). */
  distance?: number;
  /** Stored position, precise to about 0.6 m (when `withCoordinates`). */
  position?: GeoPoint;
  /** The member's payload (when `withPayload` and one is stored). */
  payload?: P;
}

/**
 * "Pharmacies within 5 km": a geo index on a Redis sorted set with an optional
 * payload per member in a hash beside it. Searches return members, distances,
 * positions and payloads in one round trip (one script running `GEOSEARCH` and
 * `HMGET`); a whole index can be rebuilt and swapped in atomically.
 *
 * The index is meant to live until replaced or removed: its keys have no TTL.
 *
 * @example
 * const pharmacies = new GeoIndex<{ name: string }>({ connection, name: 'pharmacies' });
 * await pharmacies.add({ member: 'ph-1', lon: -73.98, lat: 40.75, payload: { name: 'Main St' } });
 * const near = await pharmacies.nearby({ lon: -73.99, lat: 40.74 }, { radius: 5, unit: 'km', count: 10 });
 */
export class GeoIndex<P = unknown> {
  private readonly telemetry: TelemetryAttributes;
  /** The connection in use. */
  readonly connection: RedisConnection;
  /** The index name. */
  readonly name: string;
  private readonly keySpace: KeySpace;
  private readonly pointsKey: string;
  private readonly payloadsKey: string;
  private readonly chunkSize: number;
  private readonly rebuildTtlMs: number;

  constructor(options: GeoIndexOptions) {
    const resolved = resolveOptions(options);
    this.connection = resolved.connection;
    this.name = resolved.name;
    this.chunkSize = resolved.chunkSize;
    this.rebuildTtlMs = resolved.rebuildTtlMs;
    this.keySpace = this.connection.keys('geo', { durable: true });
    this.pointsKey = this.keySpace.key(this.name, 'points');
    this.payloadsKey = this.keySpace.key(this.name, 'payloads');
    this.telemetry = { index: this.name };
  }

  /** Adds a member or moves it (replacing its payload; none given removes it). One round trip. Resolves `true` if it was new. */
  async add(item: GeoItem<P>): Promise<boolean> {
    return instrument.trace('add', this.telemetry, undefined, async () => {
      return (await this.addMany([item])) === 1;
    });
  }

  /**
   * Adds or moves many members: chunks of `chunkSize` members, each one atomic script
   * call, all sent without waiting for each other (pipelined). A failure may leave
   * some chunks applied; calling again is safe. Resolves the number of new members.
   */
  async addMany(items: readonly GeoItem<P>[]): Promise<number> {
    return instrument.trace('addMany', this.telemetry, undefined, async () => {
      return this.load(this.pointsKey, this.payloadsKey, this.encode(items), 0);
    });
  }

  /** Removes members and their payloads. Resolves how many were in the index. */
  async remove(...members: string[]): Promise<number> {
    return instrument.trace('remove', this.telemetry, undefined, async () => {
      for (const [i, m] of members.entries()) assertMember(`members[${i}]`, m);
      const counts = await Promise.all(
        chunks(members, MAX_CHUNK).map((part) => this.connection.run(removeScript, [this.pointsKey, this.payloadsKey], part)),
      );
      return counts.reduce((sum, n) => sum + n, 0);
    });
  }

  /**
   * Replaces the whole index with `items` (the nightly rebuild): loads them into
   * temporary keys in the same hash slot, then swaps them in with one atomic script,
   * so readers see the old index until the new one is complete. If the load fails or
   * outlives `rebuildTtlMs`, the live index is left as it was. Resolves the
   * number of members now live.
   *
   * @throws {@link GeoRebuildError} when the temporary index was incomplete at the swap.
   */
  async replaceAll(items: readonly GeoItem<P>[]): Promise<number> {
    return instrument.trace('replaceAll', this.telemetry, undefined, async () => {
      const encoded = this.encode(items);
      const distinct = encoded.reduce((n, chunk) => n + chunk.length / ARGS_PER_ITEM, 0);
      const id = randomId(8);
      const tmpPoints = this.keySpace.key(this.name, 'rebuild', id, 'points');
      const tmpPayloads = this.keySpace.key(this.name, 'rebuild', id, 'payloads');
      try {
        await this.load(tmpPoints, tmpPayloads, encoded, this.rebuildTtlMs);
        return await this.connection.run(swapScript, [tmpPoints, tmpPayloads, this.pointsKey, this.payloadsKey], [distinct]);
      } catch (err) {
        // Best effort: the temporary keys expire by themselves anyway.
        await this.connection.send(['DEL', tmpPoints, tmpPayloads], tmpPoints).catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * Members near a position or near a member, within a radius or a box, with
   * distances, positions and payloads as asked: one round trip.
   *
   * @throws {@link GeoMemberNotFoundError} when searching from a member not in the index.
   */
  async nearby(center: NearbyCenter, options: NearbyOptions): Promise<NearbyResult<P>[]> {
    return instrument.trace('nearby', this.telemetry, undefined, async () => {
      if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
      const { unit = 'm', sort = 'asc' } = options;
      const withDistance = booleanOption('withDistance', options.withDistance, true);
      const withCoordinates = booleanOption('withCoordinates', options.withCoordinates, false);
      const withPayload = booleanOption('withPayload', options.withPayload, true);
      const any = booleanOption('any', options.any, false);
      const args: (string | number)[] = [];
      // Coordinates win, so a stored item ({ member, lon, lat }) searches from its own position.
      if (center !== null && typeof center === 'object' && !('lon' in center) && 'member' in center) {
        assertMember('center.member', center.member);
        args.push('FROMMEMBER', center.member);
      } else {
        assertPoint('center', center);
        args.push('FROMLONLAT', center.lon, center.lat);
      }
      assertUnit(unit);
      const { radius, box } = options;
      if (radius !== undefined && box === undefined) {
        assertPositive('radius', radius);
        args.push('BYRADIUS', radius, unit);
      } else if (box !== undefined && radius === undefined) {
        if (box === null || typeof box !== 'object') throw new ValidationError('box', 'must be { width, height }');
        assertPositive('box.width', box.width);
        assertPositive('box.height', box.height);
        args.push('BYBOX', box.width, box.height, unit);
      } else {
        throw new ValidationError('options', 'give exactly one of radius or box');
      }
      // Stryker disable next-line MethodExpression: equivalent, GEOSEARCH reads asc/desc in any case
      if (sort === 'asc' || sort === 'desc') args.push(sort.toUpperCase());
      else if (sort !== 'none') throw new ValidationError('sort', "must be 'asc', 'desc' or 'none'");
      if (options.count !== undefined) {
        assertPositiveInteger('count', options.count);
        args.push('COUNT', options.count);
        if (any) args.push('ANY');
      } else if (any) {
        throw new ValidationError('any', 'needs count');
      }
      if (withDistance) args.push('WITHDIST');
      if (withCoordinates) args.push('WITHCOORD');

      const flags = [withPayload ? '1' : '0', withDistance ? '1' : '0', withCoordinates ? '1' : '0'] as const;
      const hits = await this.connection.run(nearbyScript, [this.pointsKey, this.payloadsKey], [...flags, ...args]);
      const serializer = this.connection.serializer;
      return hits.map((hit) => {
        const r: NearbyResult<P> = { member: hit.member };
        if (hit.distance !== undefined) r.distance = hit.distance;
        if (hit.position !== undefined) r.position = hit.position;
        if (hit.payload !== undefined) r.payload = serializer.deserialize<P>(hit.payload);
        return r;
      });
    });
  }

  /** Distance between two members in `unit` (default `'m'`), or `null` if either is missing. One `GEODIST`. */
  async distance(a: string, b: string, unit: GeoUnit = 'm'): Promise<number | null> {
    return instrument.trace('distance', this.telemetry, undefined, async () => {
      assertMember('a', a);
      assertMember('b', b);
      assertUnit(unit);
      const reply = await this.connection.send(['GEODIST', this.pointsKey, a, b, unit], this.pointsKey);
      return reply == null ? null : Number(reply);
    });
  }

  /** Stored position of `member` (precise to about 0.6 m), or `null`. One `GEOPOS`. */
  async position(member: string): Promise<GeoPoint | null> {
    return instrument.trace('position', this.telemetry, member, async () => {
      assertMember('member', member);
      const [pos] = listReply(await this.connection.send(['GEOPOS', this.pointsKey, member], this.pointsKey));
      if (pos == null) return null;
      const [lon, lat] = listReply(pos);
      return { lon: Number(lon), lat: Number(lat) };
    });
  }

  /** Number of members. One `ZCARD`. */
  async size(): Promise<number> {
    return instrument.trace('size', this.telemetry, undefined, async () => {
      return Number(await this.connection.send(['ZCARD', this.pointsKey], this.pointsKey));
    });
  }

  /**
   * Validates every item and turns it into script arguments, before anything is sent.
   * A member listed twice keeps its last entry, as if the items were added in order.
   */
  private encode(items: readonly GeoItem<P>[]): (string | number)[][] {
    if (!Array.isArray(items)) throw new ValidationError('items', 'must be an array');
    const serializer = this.connection.serializer;
    const byMember = new Map<string, (string | number)[]>();
    for (const [i, item] of items.entries()) {
      assertMember(`items[${i}].member`, item?.member);
      assertPoint(`items[${i}]`, item);
      const has = item.payload !== undefined;
      // Stryker disable next-line StringLiteral: equivalent, add.lua takes only '1' as has-payload and never reads the payload argument of a member without one
      byMember.set(item.member, [item.member, item.lon, item.lat, has ? '1' : '0', has ? serializer.serialize(item.payload) : '']);
    }
    return chunks([...byMember.values()], this.chunkSize).map((part) => part.flat());
  }

  private async load(points: string, payloads: string, chunkArgs: (string | number)[][], ttlMs: number): Promise<number> {
    const added = await Promise.all(chunkArgs.map((args) => this.connection.run(addScript, [points, payloads], [ttlMs, ...args])));
    return added.reduce((sum, n) => sum + n, 0);
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** {@link GeoIndexOptions} with every default applied. */
interface ResolvedGeoIndexOptions {
  connection: RedisConnection;
  name: string;
  chunkSize: number;
  rebuildTtlMs: number;
}

/** Defaults and validation of every option, before anything is sent. */
function resolveOptions(options: GeoIndexOptions): ResolvedGeoIndexOptions {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  assertKeyPart('name', options.name);
  const chunkSize = options.chunkSize ?? 500;
  assertPositiveInteger('chunkSize', chunkSize);
  if (chunkSize > MAX_CHUNK) throw new ValidationError('chunkSize', `must be at most ${MAX_CHUNK}`);
  const rebuildTtlMs = options.rebuildTtlMs ?? 3_600_000;
  assertPositiveInteger('rebuildTtlMs', rebuildTtlMs);
  return { connection: toConnection(options.connection), name: options.name, chunkSize, rebuildTtlMs };
}

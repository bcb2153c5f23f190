// Every Lua script of the module with its contract: keys, argument types, parsed reply, typed errors.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import { GeoMemberNotFoundError, GeoRebuildError } from './errors.js';
import addSource from './scripts/add.lua';
import nearbySource from './scripts/nearby.lua';
import removeSource from './scripts/remove.lua';
import swapSource from './scripts/swap.lua';
import type { GeoPoint } from './validate.js';

/** An array reply as a list; anything else is a protocol surprise (a `RedisCommandError` for the caller). */
export function listReply(reply: RedisReply): unknown[] {
  if (!Array.isArray(reply)) throw new TypeError(`expected an array reply, got ${typeof reply}`);
  return reply;
}

/** One search result as `nearby.lua` reports it: only the parts that were asked for. */
export interface GeoHit {
  member: string;
  /** Distance in the search's unit (WITHDIST). */
  distance?: number;
  /** Stored position (WITHCOORD). */
  position?: GeoPoint;
  /** Serialized payload (with payloads, when one is stored). */
  payload?: string;
}

const count = (reply: RedisReply): number => Number(reply);

/**
 * Adds or moves members with their payloads (groups of 5 arguments per member, see add.lua);
 * resolves how many were new.
 */
export const addScript = defineScript<[ttlMs: number, ...items: (string | number)[]], number>('geo/add', addSource, {
  keys: 2,
  parseReply: count,
});

/** Removes members and their payloads; resolves how many were in the index. */
export const removeScript = defineScript<string[], number>('geo/remove', removeSource, { keys: 2, parseReply: count });

/** Swaps a loaded temporary index in; resolves the number of members now live. */
export const swapScript = defineScript<[expected: number], number>('geo/swap', swapSource, {
  keys: 4,
  parseReply: count,
  errors: { GEO_REBUILD: (detail) => new GeoRebuildError(detail) },
});

/**
 * `GEOSEARCH` with the payloads of the members found. Arguments: the three `'1'`/`'0'` flags
 * (payloads, WITHDIST, WITHCOORD), then `GEOSEARCH`'s own arguments after the key.
 */
export const nearbyScript = defineScript<
  [withPayload: '1' | '0', withDistance: '1' | '0', withCoordinates: '1' | '0', ...search: (string | number)[]],
  GeoHit[]
>('geo/nearby', nearbySource, {
  keys: 2,
  parseReply: (reply) => {
    const flat = listReply(reply);
    const shape = String(flat[0]);
    const withDistance = shape.includes('d');
    const withCoordinates = shape.includes('c');
    const withPayload = shape.includes('p');
    const hits: GeoHit[] = [];
    for (let i = 1; i < flat.length; ) {
      const hit: GeoHit = { member: String(flat[i++]) };
      if (withDistance) hit.distance = Number(flat[i++]);
      if (withCoordinates) hit.position = { lon: Number(flat[i++]), lat: Number(flat[i++]) };
      if (withPayload) {
        const payload = flat[i++];
        if (payload != null && payload !== false) hit.payload = String(payload);
      }
      hits.push(hit);
    }
    return hits;
  },
  errors: { GEO_MEMBER_NOT_FOUND: (member) => new GeoMemberNotFoundError(member) },
});

import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { addScript, markReadScript, pageScript, unreadScript } from './scripts.js';
import { instrument } from './telemetry.js';

const DAY_MS = 86_400_000;

/** Options of {@link Feed}. */
export interface FeedOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Newest items kept per owner (an integer > 0); older ones are trimmed on add. Default `500`. */
  maxItems?: number;
  /**
   * Milliseconds after the last `add` or `markRead` after which an owner's whole feed
   * (items, payloads, read marker) expires. An integer > 0. Default `2_592_000_000` (30 days).
   */
  ttlMs?: number;
}

/** An item to add. */
export interface NewFeedItem<T> {
  /** Unique id within an owner's feed: adding the same id again is a no-op. */
  id: string;
  /** When it happened (`Date` or epoch ms): the feed's order. Default: now (this process' clock). */
  at?: Date | number;
  /** The item's content, serialized with the connection's serializer. */
  data: T;
}

/** An item as read back. */
export interface FeedItem<T> {
  /** The item id. */
  id: string;
  /** Epoch milliseconds. */
  at: number;
  /** The item's content. */
  data: T;
  /** This item's position, for `page({ before })` and `markRead(upTo)`. */
  cursor: string;
}

/**
 * Options of {@link Feed.page}. Items are newest first; items of the same millisecond come in
 * descending byte order of their ids (Redis' order of equal scores, walked in reverse).
 */
export interface PageOptions {
  /** A cursor (`item.cursor` or `page.next`): return only items after it in the feed's order. Default: start at the newest. */
  before?: string;
  /** Items per page, 1 to 1,000. Default `20`. */
  limit?: number;
}

/** One page of a feed. */
export interface FeedPage<T> {
  /** Newest first; within one millisecond, by descending bytes of the id. */
  items: FeedItem<T>[];
  /** Pass as `before` for the next (older) page; `null` when this is the last page. */
  next: string | null;
}

/** What {@link Feed.add} returns. */
export interface AddResult {
  /** `false` when an item with this id was already in the feed (nothing changed). */
  added: boolean;
  /** How many old items were trimmed to keep `maxItems`. */
  trimmed: number;
}

/** What {@link Feed.fanOut} returns. */
export interface FanOutResult {
  /** Owners whose feed got the item. */
  added: string[];
  /** Owners whose feed already had an item with this id. */
  alreadyPresent: string[];
}

/**
 * Per-owner timelines ("patient home feed"): a sorted set scored by time with the
 * items' data in a hash beside it. `add` is idempotent by item id, trims to
 * `maxItems` and refreshes the TTL in one round trip; pages are newest first with a
 * cursor that stays stable across equal timestamps and removals; a read marker gives
 * unread counts.
 *
 * @example
 * const feed = new Feed<{ title: string }>({ connection, maxItems: 200 });
 * await feed.add('patient-7', { id: 'appt-991', data: { title: 'Upcoming appointment' } });
 * const { items, next } = await feed.page('patient-7', { limit: 20 });
 */
export class Feed<T = unknown> {
  private readonly telemetry: TelemetryAttributes;
  /** The connection in use. */
  readonly connection: RedisConnection;
  private readonly keys: KeySpace;
  private readonly maxItems: number;
  private readonly ttlMs: number;

  constructor(options: FeedOptions) {
    const resolved = resolveOptions(options);
    this.connection = resolved.connection;
    this.keys = this.connection.keys('feed', { durable: true });
    this.maxItems = resolved.maxItems;
    this.ttlMs = resolved.ttlMs;
    this.telemetry = {};
  }

  /** Adds `item` to `ownerId`'s feed (no-op if its id is there), trims, refreshes the TTL: one round trip. */
  async add(ownerId: string, item: NewFeedItem<T>): Promise<AddResult> {
    return instrument.trace('add', this.telemetry, ownerId, async () => {
      const keys = this.keysOf(ownerId);
      return this.addEncoded(keys, this.encode(item));
    });
  }

  /**
   * Adds `item` to the feed of every owner. Each owner's add is atomic and all are sent
   * at once (pipelined); owners live in different hash slots, so the fan-out as a whole
   * is not atomic. If it rejects, some owners may have the item: calling again is safe,
   * since adds are idempotent by id.
   */
  async fanOut(ownerIds: readonly string[], item: NewFeedItem<T>): Promise<FanOutResult> {
    return instrument.trace('fanOut', this.telemetry, undefined, async () => {
      if (!Array.isArray(ownerIds)) throw new ValidationError('ownerIds', 'must be an array');
      const targets = [...new Set(ownerIds)].map((owner) => ({ owner, keys: this.keysOf(owner) }));
      const args = this.encode(item);
      const results = await Promise.all(targets.map(async (t) => ({ owner: t.owner, added: (await this.addEncoded(t.keys, args)).added })));
      const out: FanOutResult = { added: [], alreadyPresent: [] };
      for (const r of results) (r.added ? out.added : out.alreadyPresent).push(r.owner);
      return out;
    });
  }

  /**
   * Newest items first (within one millisecond, by descending bytes of the id), strictly
   * after `before` (a cursor) in that order when given. One round trip.
   */
  async page(ownerId: string, options: PageOptions = {}): Promise<FeedPage<T>> {
    return instrument.trace('page', this.telemetry, ownerId, async () => {
      const [items, payloads] = this.keysOf(ownerId);
      const limit = options.limit ?? 20;
      assertPositiveInteger('limit', limit);
      if (limit > 1000) throw new ValidationError('limit', 'must be at most 1000');
      const before = options.before === undefined ? undefined : decodeCursor('before', options.before);
      // Stryker disable next-line StringLiteral: equivalent, page.lua reads the cursor id only when a cursor time is given
      const rows = await this.connection.run(pageScript, [items, payloads], [limit, before?.at ?? '', before?.id ?? '']);
      const serializer = this.connection.serializer;
      const out: FeedItem<T>[] = [];
      for (const { id, at, data } of rows.slice(0, limit)) {
        // A missing payload (never written by this module) reads as null, whatever T says.
        out.push({ id, at, data: data === null ? (null as T) : serializer.deserialize<T>(data), cursor: encodeCursor({ at, id }) });
      }
      // Stryker disable next-line OptionalChaining: equivalent, more rows than limit (>= 1) means out holds limit items
      return { items: out, next: rows.length > limit ? (out[out.length - 1]?.cursor ?? null) : null };
    });
  }

  /** Removes one item. Resolves `true` if it was there. One round trip (`MULTI`). */
  async remove(ownerId: string, itemId: string): Promise<boolean> {
    return instrument.trace('remove', this.telemetry, ownerId, async () => {
      const [items, payloads] = this.keysOf(ownerId);
      assertKeyPart('itemId', itemId);
      const [removed] = await this.connection.pipeline(
        [
          ['ZREM', items, itemId],
          ['HDEL', payloads, itemId],
        ],
        { atomic: true, routeKey: items },
      );
      return Number(removed) === 1;
    });
  }

  /**
   * Marks everything up to `upTo` (a cursor; default: the newest item) as read. The
   * marker only moves forward. Refreshes the TTL. Resolves the number still unread. One round trip.
   */
  async markRead(ownerId: string, upTo?: string): Promise<number> {
    return instrument.trace('markRead', this.telemetry, ownerId, async () => {
      const keys = this.keysOf(ownerId);
      const position = upTo === undefined ? undefined : decodeCursor('upTo', upTo);
      // Stryker disable next-line StringLiteral: equivalent, mark-read.lua reads the cursor id only when a cursor time is given
      return this.connection.run(markReadScript, keys, [this.ttlMs, position?.at ?? '', position?.id ?? '']);
    });
  }

  /** Items newer than the read marker (all items if nothing was marked read). One round trip. */
  async unreadCount(ownerId: string): Promise<number> {
    return instrument.trace('unreadCount', this.telemetry, ownerId, async () => {
      const [items, , marker] = this.keysOf(ownerId);
      // Stryker disable next-line ArrayDeclaration: equivalent, unread.lua reads no ARGV
      return this.connection.run(unreadScript, [items, marker], []);
    });
  }

  /** Number of items in the feed. One `ZCARD`. */
  async size(ownerId: string): Promise<number> {
    return instrument.trace('size', this.telemetry, ownerId, async () => {
      const [items] = this.keysOf(ownerId);
      return Number(await this.connection.send(['ZCARD', items], items));
    });
  }

  /** Deletes an owner's whole feed and read marker. */
  async clear(ownerId: string): Promise<void> {
    return instrument.trace('clear', this.telemetry, ownerId, async () => {
      const keys = this.keysOf(ownerId);
      await this.connection.send(['DEL', ...keys], keys[0]);
    });
  }

  private addEncoded(keys: string[], [id, at, data]: EncodedItem): Promise<AddResult> {
    return this.connection.run(addScript, keys, [this.ttlMs, this.maxItems, id, at, data]);
  }

  /** Validates an item and turns it into script arguments, before anything is sent. */
  private encode(item: NewFeedItem<T>): EncodedItem {
    if (item === null || typeof item !== 'object') throw new ValidationError('item', 'must be an object');
    assertKeyPart('item.id', item.id);
    const at = item.at === undefined ? Date.now() : item.at instanceof Date ? item.at.getTime() : item.at;
    assertNonNegativeInteger('item.at', at);
    return [item.id, at, this.connection.serializer.serialize(item.data)];
  }

  /** Items, payloads and read marker of one owner, sharing the owner's hash tag. */
  private keysOf(ownerId: string): [string, string, string] {
    assertKeyPart('ownerId', ownerId);
    return [this.keys.key(ownerId, 'items'), this.keys.key(ownerId, 'payloads'), this.keys.key(ownerId, 'read')];
  }
}

/** An item as script arguments: id, time in ms, serialized data. */
type EncodedItem = [id: string, at: number, data: string];

/** {@link FeedOptions} with every default applied. */
interface ResolvedFeedOptions {
  connection: RedisConnection;
  maxItems: number;
  ttlMs: number;
}

/** Defaults and validation of every option, before anything is sent. */
function resolveOptions(options: FeedOptions): ResolvedFeedOptions {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const maxItems = options.maxItems ?? 500;
  assertPositiveInteger('maxItems', maxItems);
  const ttlMs = options.ttlMs ?? 30 * DAY_MS;
  assertPositiveInteger('ttlMs', ttlMs);
  return { connection: toConnection(options.connection), maxItems, ttlMs };
}

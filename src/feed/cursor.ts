import { ValidationError } from '../core/errors.js';

/** A position in a feed: an item's time and id, the order Redis keeps them in. */
export interface FeedPosition {
  /** Time in epoch milliseconds. */
  at: number;
  /** Item id (breaks ties between items of the same millisecond). */
  id: string;
}

/**
 * Encodes a position as an opaque cursor string (`<ms>:<id>`). It stays valid when
 * the item it names is removed or trimmed: paging continues right after where it was.
 */
export function encodeCursor(position: FeedPosition): string {
  return `${position.at}:${position.id}`;
}

/** Parses a cursor made by {@link encodeCursor}; throws ValidationError for anything else. */
export function decodeCursor(field: string, cursor: unknown): FeedPosition {
  if (typeof cursor !== 'string') throw new ValidationError(field, 'must be a cursor string');
  const colon = cursor.indexOf(':');
  const at = Number(cursor.slice(0, colon));
  const id = cursor.slice(colon + 1);
  if (colon < 1 || !Number.isSafeInteger(at) || at < 0 || id.length === 0) throw new ValidationError(field, 'is not a feed cursor');
  return { at, id };
}

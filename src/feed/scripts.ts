// Every Lua script of the module with its contract: keys, argument types, parsed reply.
import type { RedisReply } from '../core/client/types.js';
import { defineScript } from '../core/script.js';
import addSource from './scripts/add.lua';
import markReadSource from './scripts/mark-read.lua';
import pageSource from './scripts/page.lua';
import unreadSource from './scripts/unread.lua';

/** An array reply as a list; anything else is a protocol surprise (a `RedisCommandError` for the caller). */
function listReply(reply: RedisReply): unknown[] {
  if (!Array.isArray(reply)) throw new TypeError(`expected an array reply, got ${typeof reply}`);
  return reply;
}

/** One item as `page.lua` reads it. */
export interface ItemRow {
  id: string;
  /** Epoch ms (the item's score). */
  at: number;
  /** Serialized data, `null` when the payload is missing. */
  data: string | null;
}

const count = (reply: RedisReply): number => Number(reply);

/** Adds one item (idempotent by id), trims, refreshes the TTL. */
export const addScript = defineScript<
  [ttlMs: number, maxItems: number, id: string, at: number, data: string],
  { added: boolean; trimmed: number }
>('feed/add', addSource, {
  keys: 3,
  parseReply: (reply) => {
    const [added, trimmed] = listReply(reply);
    return { added: Number(added) === 1, trimmed: Number(trimmed) };
  },
});

/** Up to `limit + 1` items older than the cursor (`''`, `''` for the newest), newest first. */
export const pageScript = defineScript<[limit: number, cursorAt: number | '', cursorId: string], ItemRow[]>('feed/page', pageSource, {
  keys: 2,
  parseReply: (reply) => {
    const flat = listReply(reply);
    const rows: ItemRow[] = [];
    // Stryker disable next-line EqualityOperator: equivalent, page.lua returns 3 entries per item: i and the length are multiples of 3, so i + 2 never equals it
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const data = flat[i + 2];
      rows.push({ id: String(flat[i]), at: Number(flat[i + 1]), data: data == null || data === false ? null : String(data) });
    }
    return rows;
  },
});

/** Moves the read marker forward (to the newest item for `''`); resolves the number still unread. */
export const markReadScript = defineScript<[ttlMs: number, cursorAt: number | '', cursorId: string], number>(
  'feed/mark-read',
  markReadSource,
  { keys: 3, parseReply: count },
);

/** The number of items newer than the read marker. */
export const unreadScript = defineScript<[], number>('feed/unread', unreadSource, { keys: 2, parseReply: count });

import type { Serializer } from '../core/serializer.js';

/**
 * What one cache entry holds besides the value, stored in front of the
 * serialized value in the same Redis string so that a hit is one `GET`:
 * `<freshUntilMs>|<loadMs>|<kind>|<tagsLength>|<tagsJson><payload>`. The tags
 * travel with the value so that any instance that puts it in its L1 tier can
 * drop it when one of its tags is invalidated.
 */
export interface DecodedEntry {
  /** Wall-clock ms until which the value is fresh; after it the entry is stale (within its grace period). */
  freshUntil: number;
  /** How long the loader took, in ms: XFetch's "delta" (a slow loader is refreshed earlier). */
  loadMs: number;
  /** The cached value (`null`/`undefined` for a negative entry). */
  value: unknown;
  /** The entry's tags, if any. */
  tags: string[] | undefined;
}

// Kinds: a real value, or one of the two "nothing" results a loader can return (negative caching).
const VALUE = 'v';
const NULL = 'n';
const UNDEFINED = 'u';

/** Encodes an entry; throws the serializer's error for values it cannot represent. */
export function encodeEntry(
  serializer: Serializer,
  value: unknown,
  freshUntil: number,
  loadMs: number,
  tags: readonly string[] | undefined,
): string {
  const tagText = tags ? JSON.stringify(tags) : '';
  const head = `${Math.round(freshUntil)}|${Math.round(loadMs)}|`;
  const tail = `|${tagText.length}|${tagText}`;
  if (value === null) return `${head}${NULL}${tail}`;
  if (value === undefined) return `${head}${UNDEFINED}${tail}`;
  return `${head}${VALUE}${tail}${serializer.serialize(value)}`;
}

/** Decodes what {@link encodeEntry} wrote; `undefined` for anything else (a foreign or corrupt value: treated as a miss). */
export function decodeEntry(serializer: Serializer, raw: string): DecodedEntry | undefined {
  const a = raw.indexOf('|');
  const b = raw.indexOf('|', a + 1);
  const c = raw.indexOf('|', b + 1);
  const d = raw.indexOf('|', c + 1);
  if (a < 1 || b < 0 || c !== b + 2 || d < 0) return undefined;
  const freshUntil = Number(raw.slice(0, a));
  const loadMs = Number(raw.slice(a + 1, b));
  const tagLength = Number(raw.slice(c + 1, d));
  if (!Number.isFinite(freshUntil) || !Number.isFinite(loadMs) || !Number.isSafeInteger(tagLength)) return undefined;
  const tags = tagLength > 0 ? (JSON.parse(raw.slice(d + 1, d + 1 + tagLength)) as string[]) : undefined;
  const kind = raw[b + 1];
  if (kind === VALUE) return { freshUntil, loadMs, tags, value: serializer.deserialize(raw.slice(d + 1 + tagLength)) };
  if (kind === NULL) return { freshUntil, loadMs, tags, value: null };
  if (kind === UNDEFINED) return { freshUntil, loadMs, tags, value: undefined };
  return undefined;
}

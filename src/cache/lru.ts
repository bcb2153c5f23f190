/** One value held in the in-process tier. */
interface Slot {
  value: unknown;
  expiresAt: number;
  tags: readonly string[] | undefined;
}

/** Marker for "not in the L1 tier" (a cached `undefined` is a real value). */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * The in-process L1 tier: a bounded LRU map with a per-entry expiry. A `Map`
 * keeps insertion order, so re-inserting on every hit makes the first key the
 * least recently used one.
 */
export class Lru {
  private readonly map = new Map<string, Slot>();

  constructor(private readonly maxEntries: number) {}

  /** The value of `key` if present and not expired, else {@link ABSENT}. */
  get(key: string, now: number): unknown {
    const slot = this.map.get(key);
    if (slot === undefined) return ABSENT;
    this.map.delete(key);
    if (slot.expiresAt <= now) return ABSENT;
    this.map.set(key, slot);
    return slot.value;
  }

  /** Stores `value` until `expiresAt`, evicting the least recently used entry when full. */
  set(key: string, value: unknown, expiresAt: number, tags: readonly string[] | undefined): void {
    this.map.delete(key);
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, { value, expiresAt, tags });
  }

  /** Drops one key. */
  delete(key: string): void {
    this.map.delete(key);
  }

  /** Drops every entry carrying `tag` (a scan of at most `maxEntries` entries: invalidation is rare). */
  deleteTag(tag: string): void {
    for (const [key, slot] of this.map) if (slot.tags?.includes(tag)) this.map.delete(key);
  }

  /** Drops everything. */
  clear(): void {
    this.map.clear();
  }

  /** Number of entries held (expired ones included until touched). */
  get size(): number {
    return this.map.size;
  }
}

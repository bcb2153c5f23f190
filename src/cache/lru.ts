/** One value held in the in-process tier. */
interface Slot {
  value: unknown;
  expiresAt: number;
  tags: readonly string[] | undefined;
  /** Value of the insertion counter when the slot was last placed at the young end. */
  placed: number;
}

/** Marker for "not in the L1 tier" (a cached `undefined` is a real value). */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * The in-process L1 tier: a bounded, approximately-LRU map with a per-entry expiry. A
 * `Map` keeps insertion order, so the first key is the one to evict. Moving an entry to
 * the young end on every hit would cost a delete and an insert per read (the hot path of
 * an L1 hit), so a hit moves it only once it has aged out of the youngest quarter:
 * eviction still only ever takes entries that were not read since they entered the older
 * three quarters.
 */
export class Lru {
  private readonly map = new Map<string, Slot>();
  private placements = 0;
  private readonly youngSpan: number;

  constructor(private readonly maxEntries: number) {
    this.youngSpan = Math.max(1, Math.floor(maxEntries / 4));
  }

  /** The value of `key` if present and not expired, else {@link ABSENT}. */
  get(key: string, now: number): unknown {
    const slot = this.map.get(key);
    if (slot === undefined) return ABSENT;
    if (slot.expiresAt <= now) {
      this.map.delete(key);
      return ABSENT;
    }
    if (this.placements - slot.placed >= this.youngSpan) {
      this.map.delete(key);
      slot.placed = ++this.placements;
      this.map.set(key, slot);
    }
    return slot.value;
  }

  /** Stores `value` until `expiresAt`, evicting the least recently used entry when full. */
  set(key: string, value: unknown, expiresAt: number, tags: readonly string[] | undefined): void {
    this.map.delete(key);
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      // Stryker disable next-line ConditionalExpression: equivalent, deleting the undefined key of an empty map is a no-op
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, { value, expiresAt, tags, placed: ++this.placements });
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

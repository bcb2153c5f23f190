/**
 * Keys seen less than `periodMs` ago, in memory bounded by the keys seen in the last two
 * periods: entries live in two generations, and the older one is dropped whole each period
 * (no timer, no per-entry cleanup). With `periodMs` 0 nothing is remembered.
 */
export class RecentlySeen {
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private generationStart = 0;

  constructor(private readonly periodMs: number) {}

  /** Whether `key` was added less than `periodMs` ago. */
  has(key: string): boolean {
    if (this.periodMs === 0) return false;
    const now = this.rotate();
    const at = this.current.get(key) ?? this.previous.get(key);
    return at !== undefined && now - at < this.periodMs;
  }

  /** Remembers `key` as seen now. */
  add(key: string): void {
    if (this.periodMs === 0) return;
    // Rotate first: it may replace `current`.
    const now = this.rotate();
    this.current.set(key, now);
  }

  /** Forgets `key`. */
  delete(key: string): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  private rotate(): number {
    const now = performance.now();
    if (now - this.generationStart >= this.periodMs) {
      // Everything in `previous` is at least one period old by now.
      this.previous = now - this.generationStart >= 2 * this.periodMs ? new Map() : this.current;
      this.current = new Map();
      this.generationStart = now;
    }
    return now;
  }
}

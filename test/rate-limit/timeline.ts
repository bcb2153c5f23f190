// A model of what a window limiter should answer at a given Redis time, for tests that let
// units age out on a real clock. Every time is only known to lie between two readings of
// Redis TIME (before and after a call), so the model gives bounds: exact whenever no unit
// crosses a boundary between the two readings, which generous spacing makes the usual case.

/** Redis time (ms) read just before and just after a call: the script ran in between. */
export interface Span {
  from: number;
  to: number;
}

/** How units taken at some Redis time (ms) count later on. */
export interface WindowModel {
  /** How much a unit taken at `at` still counts at `now`: never grows with `now`, never shrinks with `at`. */
  weight(at: number, now: number): number;
  /** When a unit taken at `at` stops counting at all: never earlier for a later `at`. */
  goneAt(at: number): number;
}

/** Sliding log: a unit counts for exactly `windowMs` after it was taken. */
export function logModel(windowMs: number): WindowModel {
  return { weight: (at, now) => (now - at < windowMs ? 1 : 0), goneAt: (at) => at + windowMs };
}

/**
 * Sliding window counter: a unit counts fully in its own epoch-aligned window, then by the
 * share of the previous window the sliding window still covers, then not at all.
 */
export function counterModel(windowMs: number): WindowModel {
  const windowOf = (ms: number) => Math.floor(ms / windowMs);
  return {
    weight(at, now) {
      const current = windowOf(now);
      const mine = windowOf(Math.min(at, now));
      if (mine === current) return 1;
      if (mine === current - 1) return 1 - (now - current * windowMs) / windowMs;
      return 0;
    },
    goneAt: (at) => (windowOf(at) + 2) * windowMs,
  };
}

// Readings are whole ms while scripts may use microseconds: a reading of `to` means before `to + 1`.

/** The least and the most the units `taken` (one span per unit) can weigh at the time of `now`. */
export function usedBetween(model: WindowModel, taken: readonly Span[], now: Span): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const t of taken) {
    min += model.weight(t.from, now.to + 1);
    max += model.weight(t.to + 1, now.from);
  }
  return { min, max };
}

/** Bounds of the ms from `now` until none of `taken` counts any more (`resetMs`). */
export function resetBetween(model: WindowModel, taken: readonly Span[], now: Span): { min: number; max: number } {
  const last = (pick: (t: Span) => number) => Math.max(0, ...taken.map((t) => model.goneAt(pick(t))));
  return { min: Math.max(0, last((t) => t.from) - now.to - 1), max: Math.max(0, last((t) => t.to + 1) - now.from) };
}

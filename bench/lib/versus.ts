import type { BenchContext, BenchRow } from './types.js';

/** An operation one side measures; `i` restarts at 0 every round (and in the warm-up). */
export type Op = (i: number) => Promise<unknown>;

/**
 * One side of a comparison: the row's `library` and its operation. A third element names
 * the `library` this side is divided by, when that is not the reference.
 */
export type Side = readonly [library: string, op: Op, comparedTo?: string];

/**
 * "Naive (or peer) vs ours" comparisons of one suite at one concurrency. Each entry of
 * `operations` maps an operation name to its reference side, then the sides compared with
 * it; each operation is measured through {@link BenchContext.compare} (alternating rounds),
 * one after the other in the entries' order. Sides that need values unique over a whole
 * comparison (fresh ids, new members) must count in their own closure, not use `i`.
 *
 * @example
 * await versus(ctx, 'leaderboard', 50, {
 *   'top(10)': [['naive ZREVRANGE WITHSCORES', naiveTop], ['Leaderboard.top', () => board.top(10)]],
 * });
 * @returns every row, operation by operation, reference first.
 */
export async function versus(
  ctx: BenchContext,
  suite: string,
  concurrency: number,
  operations: Record<string, readonly [reference: readonly [library: string, op: Op], ...ours: Side[]]>,
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [operation, [[refLibrary, refOp], ...ours]] of Object.entries(operations)) {
    const group = await ctx.compare([
      { suite, operation, library: refLibrary, concurrency, op: refOp },
      ...ours.map(([library, op, comparedTo]) => ({ suite, operation, library, concurrency, op, reference: comparedTo ?? refLibrary })),
    ]);
    rows.push(...group);
  }
  return rows;
}

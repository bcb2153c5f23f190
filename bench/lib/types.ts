import type { Measurement } from './measure.js';

/** One line of the results table. */
export interface BenchRow extends Omit<Measurement, 'latencies'> {
  suite: string;
  operation: string;
  library: string;
  concurrency: number;
  /** Redis commands per operation (including those run inside Lua), from INFO commandstats. */
  commandsPerOp: number;
  /**
   * Redis CPU time per operation in µs (user + system of the server process, from INFO cpu):
   * what limits how many app servers one Redis can serve.
   */
  redisUsPerOp: number;
  /** `library` of the row this one is compared with (same suite and operation); omitted for the reference itself. */
  comparedTo?: string;
  ratio?: number;
}

/** What a bench file receives. */
export interface BenchContext {
  /** URL of the dedicated redis-server this run started (or REDIS_URL). */
  redisUrl: string;
  /** Measured time per case in ms (BENCH_DURATION_MS, default 3000). */
  durationMs: number;
  /**
   * Measures one case: runs it, counts the commands it caused on the bench server,
   * returns the row. Rows of one suite+operation are compared to the row whose
   * `library` equals `reference` when given.
   */
  run(c: BenchCase): Promise<BenchRow>;
  /**
   * Measures cases that are compared with each other in alternating rounds (the order
   * rotates every round), so a slow patch of the machine hits all of them alike: ops/s
   * is the median over the rounds, latencies and commands are over all of them. Use it
   * for every side-by-side comparison; {@link run} is for a lone case.
   */
  compare(cases: readonly BenchCase[]): Promise<BenchRow[]>;
  /** Adds a section of its own (a heading and markdown, e.g. a memory table) after the results table. */
  section(title: string, markdown: string): void;
}

export interface BenchCase {
  suite: string;
  operation: string;
  library: string;
  concurrency: number;
  op: (i: number) => Promise<unknown>;
  /** The `library` of another case of the same suite and operation to divide by. */
  reference?: string;
  /** Runs before each measurement of this case (each round, and the warm-up), outside the timing. */
  setup?: () => Promise<void>;
  /** Runs after each measurement of this case, outside the timing. */
  teardown?: () => Promise<void>;
}

/** A bench file's default export. */
export type BenchFile = (ctx: BenchContext) => Promise<void>;

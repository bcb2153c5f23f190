// Closed-loop load generator: `concurrency` callers each run `op` back to back for a
// fixed time after a warm-up; latency of every call is recorded.

export interface MeasureOptions {
  /** Parallel callers, each awaiting its previous call. */
  concurrency: number;
  /** Measured time in ms (after warm-up). */
  durationMs: number;
  /** Warm-up time in ms, not recorded. Default 300. */
  warmupMs?: number;
  /** One operation; `i` is a global sequence number (use it for distinct keys). */
  op: (i: number) => Promise<unknown>;
}

export interface Measurement {
  ops: number;
  /** Measured time in ms. */
  elapsedMs: number;
  /** Calls made during warm-up (not in the latencies). */
  warmupOps: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Every measured call's latency in ms, ascending. */
  latencies: number[];
}

export async function measure(options: MeasureOptions): Promise<Measurement> {
  let seq = 0;
  let calls = 0;
  const runFor = async (ms: number, record: number[] | undefined, errs: { n: number }) => {
    const end = performance.now() + ms;
    const worker = async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await options.op(seq++);
        } catch {
          errs.n++;
        }
        calls++;
        record?.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  };
  await runFor(options.warmupMs ?? 300, undefined, { n: 0 });
  const warmupOps = calls;
  const latencies: number[] = [];
  const errs = { n: 0 };
  const t0 = performance.now();
  await runFor(options.durationMs, latencies, errs);
  const elapsed = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    elapsedMs: elapsed,
    warmupOps,
    opsPerSec: (latencies.length / elapsed) * 1000,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors: errs.n,
    latencies,
  };
}

/** The `p` quantile (0..1) of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

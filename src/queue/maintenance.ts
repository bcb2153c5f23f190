import { type ReclaimContext, Reclaimer } from './reclaim.js';
import type { MaintenanceQueue } from './worker-queue.js';

// Most delayed jobs one promote call moves; when it moves this many, the next pass comes at once.
const PROMOTE_LIMIT = 1000;

/** What maintenance needs from its worker. */
export interface MaintenanceContext extends ReclaimContext {
  /** A step failed (Redis trouble); the next pass tries again. */
  failed(error: unknown): void;
}

/** Timing of a worker's maintenance. */
export interface MaintenanceTiming {
  /** How long an unacknowledged job stays with its consumer before others reclaim it, in ms. */
  visibilityTimeoutMs: number;
  /** Longest time between two promotions of due delayed jobs, in ms. */
  promoteIntervalMs: number;
}

/**
 * A worker's background work on the shared connection, one pass at a time: promote due
 * delayed jobs into the stream, keep this worker's long-running jobs claimed (heartbeat), and
 * reclaim jobs of dead workers ({@link Reclaimer}). The next pass comes after
 * `promoteIntervalMs`, sooner when a delayed job is due sooner, and at least every third of
 * the visibility timeout, so the heartbeat always beats it. Each step fails on its own: a
 * failed promotion does not skip the heartbeat.
 */
export class Maintenance {
  // Entry id -> when this worker last claimed it (fetch or heartbeat), on the monotonic clock.
  private readonly claimedAt = new Map<string, number>();
  private readonly reclaimer: Reclaimer;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly queue: MaintenanceQueue,
    private readonly context: MaintenanceContext,
    private readonly timing: MaintenanceTiming,
  ) {
    this.reclaimer = new Reclaimer(queue, context, timing.visibilityTimeoutMs);
  }

  /** Runs the first pass now; each pass schedules the next until {@link stop}. */
  start(): void {
    void this.pass();
  }

  /** No pass after the current one (if any). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Keeps the entry claimed while the worker runs it. */
  track(entryId: string): void {
    this.claimedAt.set(entryId, performance.now());
  }

  /** The worker is done with the entry. */
  untrack(entryId: string): void {
    this.claimedAt.delete(entryId);
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    const { promoteIntervalMs, visibilityTimeoutMs } = this.timing;
    let next = Math.min(promoteIntervalMs, visibilityTimeoutMs / 3);
    next = Math.min(next, await this.step(() => this.promote(), next));
    await this.step(() => this.heartbeat(), undefined);
    await this.step(() => this.reclaimer.runIfDue(), undefined);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.pass(), next);
  }

  private async step<R>(run: () => Promise<R>, onFailure: R): Promise<R> {
    try {
      return await run();
    } catch (err) {
      this.context.failed(err);
      return onFailure;
    }
  }

  // Resolves the ms until the next promotion is needed.
  private async promote(): Promise<number> {
    const { moved, nextDueMs } = await this.queue.promote(PROMOTE_LIMIT);
    if (moved >= PROMOTE_LIMIT) return 0;
    return nextDueMs ?? Number.POSITIVE_INFINITY;
  }

  // Resets the idle time of jobs claimed a third of the visibility timeout ago, so that other
  // workers do not take a slow job from a live worker.
  private async heartbeat(): Promise<void> {
    const third = this.timing.visibilityTimeoutMs / 3;
    const cutoff = performance.now() - third;
    const due: string[] = [];
    for (const [entryId, at] of this.claimedAt) if (at <= cutoff) due.push(entryId);
    if (due.length === 0) return;
    await this.queue.keepClaimed(this.context.consumer, due, third);
    const now = performance.now();
    for (const entryId of due) if (this.claimedAt.has(entryId)) this.claimedAt.set(entryId, now);
  }
}

import { type ReclaimContext, Reclaimer } from './reclaim.js';
import type { MaintenanceQueue } from './worker-queue.js';

// Most delayed jobs one promote call moves; with more due, promote.lua says the next is due now.
const PROMOTE_LIMIT = 1000;

/** What maintenance needs from its worker. */
export interface MaintenanceContext extends ReclaimContext {
  /** A step failed (Redis trouble); the next pass tries again. */
  failed(error: unknown): void;
  /** Starts a reading of the queue's pause flag: the function it returns takes what promote.lua said. */
  pauseReading(): (paused: boolean) => void;
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
 * delayed jobs, fire due schedules, keep this worker's long-running jobs claimed (heartbeat),
 * reclaim jobs of dead workers ({@link Reclaimer}) and, with `maxLen`, sweep ids of trimmed
 * jobs. The next pass comes after `promoteIntervalMs`, sooner when a delayed job or a schedule
 * is due sooner (as far as this worker knows: {@link wake} tells it of earlier ones), and at
 * least every third of the visibility timeout, so the heartbeat always beats it. Each step fails
 * on its own: a failed promotion does not skip the heartbeat.
 */
export class Maintenance {
  // Entry id -> when this worker last claimed it (fetch or heartbeat), on the monotonic clock.
  private readonly claimedAt = new Map<string, number>();
  private readonly reclaimer: Reclaimer;
  private timer: NodeJS.Timeout | undefined;
  // When the scheduled pass comes (monotonic), to tell whether a wake-up is earlier.
  private nextAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | undefined;
  // The earliest pass asked for (wake) while a pass was running, on the monotonic clock.
  private wanted = Number.POSITIVE_INFINITY;
  private stopped = false;
  private sweepCursor = '0';
  private lastSweepAt = Number.NEGATIVE_INFINITY;

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

  /** Runs a pass in `ms` (0: now) unless one comes sooner: a delayed job or schedule is due then. */
  wake(ms = 0): void {
    if (this.stopped) return;
    const at = performance.now() + ms;
    // A pass running now schedules its successor when it ends: it must not come later than this.
    if (this.running) {
      this.wanted = Math.min(this.wanted, at);
      return;
    }
    if (at < this.nextAt) this.schedule(ms);
  }

  /** Keeps the entry claimed while the worker runs it. */
  track(entryId: string): void {
    this.claimedAt.set(entryId, performance.now());
  }

  /** The worker is done with the entry. */
  untrack(entryId: string): void {
    this.claimedAt.delete(entryId);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.nextAt = performance.now() + ms;
    this.timer = setTimeout(() => void this.pass(), ms);
  }

  private async pass(): Promise<void> {
    if (this.stopped || this.running) return;
    this.nextAt = Number.POSITIVE_INFINITY;
    clearTimeout(this.timer);
    let done!: () => void;
    this.running = new Promise((r) => {
      done = r;
    });
    try {
      const { promoteIntervalMs, visibilityTimeoutMs } = this.timing;
      let next = Math.min(promoteIntervalMs, visibilityTimeoutMs / 3);
      next = Math.min(next, await this.step(() => this.promote(), next));
      await this.step(() => this.heartbeat(), undefined);
      await this.step(() => this.reclaimer.runIfDue(), undefined);
      await this.step(() => this.sweepIfDue(), undefined);
      next = Math.max(0, Math.min(next, this.wanted - performance.now()));
      this.wanted = Number.POSITIVE_INFINITY;
      if (!this.stopped) this.schedule(next);
    } finally {
      this.running = undefined;
      done();
    }
  }

  private async step<R>(run: () => Promise<R>, onFailure: R): Promise<R> {
    try {
      return await run();
    } catch (err) {
      this.context.failed(err);
      return onFailure;
    }
  }

  // Resolves the ms until the next pass is needed: a delayed job or a schedule due.
  private async promote(): Promise<number> {
    const reading = this.context.pauseReading();
    const { nextDueMs, paused, nextScheduleMs } = await this.queue.promote(PROMOTE_LIMIT);
    reading(paused);
    let next = nextDueMs ?? Number.POSITIVE_INFINITY;
    if (nextScheduleMs !== undefined) {
      const schedule = nextScheduleMs > 0 ? nextScheduleMs : await this.step(() => this.queue.fireSchedules(), undefined);
      next = Math.min(next, schedule ?? Number.POSITIVE_INFINITY);
    }
    return next;
  }

  // Walks the ids hash once per visibility timeout (one step of it per pass until it is through).
  private async sweepIfDue(): Promise<void> {
    if (!this.queue.sweeps) return;
    const now = performance.now();
    if (this.sweepCursor === '0' && now - this.lastSweepAt < this.timing.visibilityTimeoutMs) return;
    if (this.sweepCursor === '0') this.lastSweepAt = now;
    this.sweepCursor = await this.queue.sweep(this.sweepCursor);
  }

  // Resets the idle time of jobs claimed a third of the visibility timeout ago, so that other
  // workers do not take a slow job from a live worker.
  private async heartbeat(): Promise<void> {
    const third = this.timing.visibilityTimeoutMs / 3;
    const cutoff = performance.now() - third;
    const due: string[] = [];
    for (const [entryId, at] of this.claimedAt) if (at <= cutoff) due.push(entryId);
    if (due.length === 0) return;
    const lost = new Set(await this.queue.keepClaimed(this.context.consumer, due, third));
    const now = performance.now();
    // A job another worker has reclaimed (this one stalled past the visibility timeout) runs on
    // here until its handler returns, but is not claimed back from the worker that now runs it.
    for (const entryId of due) {
      if (lost.has(entryId)) this.claimedAt.delete(entryId);
      else if (this.claimedAt.has(entryId)) this.claimedAt.set(entryId, now);
    }
  }
}

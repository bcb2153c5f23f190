import { backoffDelay, sleep } from '../core/async.js';
import type { Job } from './job.js';
import type { AckItem, AckQueue } from './worker-queue.js';

// Lua's unpack() takes at most ~8000 values: one ack call carries at most this many entries.
const MAX_ACK_BATCH = 2000;

/** A job whose handler succeeded, waiting for its acknowledgement. */
export interface Completed<T> {
  /** The job. */
  job: Job<T>;
  /** What the ack call needs of it. */
  item: AckItem;
  /** What the handler returned. */
  result: unknown;
}

/** What the batcher reports to its worker. */
export interface AckHooks<T> {
  /** A batch was acknowledged. */
  acked(batch: readonly Completed<T>[]): void;
  /** An ack call failed; its jobs are queued again and sent after a backoff. */
  failed(error: unknown): void;
  /** The backlog shrank or the batcher went idle. */
  changed(): void;
}

/**
 * Acknowledges completed jobs in batches: every job that completes while a call is being
 * prepared or is in flight joins the next call, so under load a worker pays one script call
 * per batch, not per job. A failed call is retried with backoff until the worker gives up
 * on its jobs ({@link abandon}); they then stay pending and are reclaimed elsewhere.
 */
export class AckBatcher<T> {
  private queued: Completed<T>[] = [];
  private inFlight = 0;
  // Entry ids queued or in flight: a reclaim must not hand them to the worker again.
  private readonly entryIds = new Set<string>();
  private draining = false;
  private failures = 0;
  private abandoned = false;

  constructor(
    private readonly queue: AckQueue,
    private readonly hooks: AckHooks<T>,
  ) {}

  /** Jobs completed and not yet acknowledged (queued or in flight). */
  get backlog(): number {
    return this.queued.length + this.inFlight;
  }

  /** Nothing queued, nothing in flight. */
  get idle(): boolean {
    // Stryker disable next-line ConditionalExpression: equivalent, entries are queued only while draining, but after abandon(), when no one waits for idle
    return !this.draining && this.queued.length === 0;
  }

  /** Whether the entry waits for (or is in) an ack call. */
  holds(entryId: string): boolean {
    return this.entryIds.has(entryId);
  }

  /** Queues a completed job for the next ack call. */
  add(completed: Completed<T>): void {
    // Stryker disable next-line ConditionalExpression: equivalent, the worker adds nothing once it abandoned (same synchronous step), and drain() sends nothing once abandoned
    if (this.abandoned) return;
    this.queued.push(completed);
    this.entryIds.add(completed.job.entryId);
    if (this.draining) return;
    this.draining = true;
    void this.drain();
  }

  /** Stops acknowledging: what is queued stays pending in Redis, for another worker to reclaim. */
  abandon(): void {
    this.abandoned = true;
  }

  private async drain(): Promise<void> {
    while (this.queued.length > 0 && !this.abandoned) {
      // One turn of the event loop first, so that every job completing in this one joins the call.
      await new Promise(setImmediate);
      if (this.abandoned) break;
      const batch = this.queued.splice(0, MAX_ACK_BATCH);
      this.inFlight = batch.length;
      try {
        await this.queue.ack(batch.map((d) => d.item));
      } catch (err) {
        this.inFlight = 0;
        if (this.abandoned) break;
        this.queued.unshift(...batch);
        this.hooks.failed(err);
        await sleep(backoffDelay(++this.failures, { baseMs: 50, maxMs: 2000 }));
        continue;
      }
      this.failures = 0;
      this.inFlight = 0;
      for (const d of batch) this.entryIds.delete(d.job.entryId);
      this.hooks.acked(batch);
      this.hooks.changed();
    }
    this.draining = false;
    this.hooks.changed();
  }
}

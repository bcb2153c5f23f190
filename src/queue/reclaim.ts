// Reclaim of stalled jobs, worker side: when to look, what to take, what to hand back to the
// worker. The Redis side (XAUTOCLAIM, tries used by stalling, dead-lettering) is
// scripts/reclaim.lua; store.ts only passes the call through. Nothing else reclaims.
import type { StreamEntry } from './job.js';
import type { ReclaimQueue } from './worker-queue.js';

/** What the reclaim step needs from its worker. */
export interface ReclaimContext {
  /** The worker's consumer name. */
  readonly consumer: string;
  /** Handler slots free now: the most entries to take. */
  freeSlots(): number;
  /** Whether the worker runs (or acknowledges) the entry already: a reclaim may hand back its own. */
  isOwn(entryId: string): boolean;
  /** Entries taken over from a consumer that stalled, for the worker to run. */
  stalled(entries: readonly StreamEntry[]): void;
  /** Entries that used their last try by stalling and went to the dead-letter stream. */
  deadLettered(entries: readonly StreamEntry[]): void;
}

/**
 * Takes over jobs that other consumers fetched and did not acknowledge within the visibility
 * timeout (their worker died or hung), at most every half timeout, walking the group's
 * pending list with a cursor so that one pass stays short however long the list is. Each such
 * delivery counts as a used try (see scripts/reclaim.lua), so a job that kills every worker
 * running it ends in the dead-letter stream instead of going round forever.
 */
export class Reclaimer {
  private cursor = '0-0';
  private lastRunAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly queue: ReclaimQueue,
    private readonly context: ReclaimContext,
    private readonly visibilityTimeoutMs: number,
  ) {}

  /** Runs one reclaim pass if half a visibility timeout has passed since the last one. */
  async runIfDue(): Promise<void> {
    const now = performance.now();
    if (now - this.lastRunAt < this.visibilityTimeoutMs / 2) return;
    this.lastRunAt = now;
    const free = this.context.freeSlots();
    if (free <= 0) return;
    const { consumer } = this.context;
    const reply = await this.queue.reclaim(consumer, this.visibilityTimeoutMs, free, this.cursor);
    this.cursor = reply.cursor;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the worker reports nothing for an empty list
    if (reply.deadLettered.length > 0) this.context.deadLettered(reply.deadLettered);
    const taken = reply.claimed.filter((entry) => !this.context.isOwn(entry.id));
    if (taken.length > 0) this.context.stalled(taken);
  }
}

// Rate limits of a queue, checked by a worker for each job it fetched, before the handler runs.
// The count lives in the rate-limit module's sliding window log (its public entry, one coalesced
// script call per check): a limiter's script cannot run inside the queue's own scripts, so a job
// is admitted first and then runs, and one the limits refuse goes back to wait (fail.lua's
// 'defer': no try used). What that split costs: a job admitted by the limiter whose worker dies
// before running it spends a unit without running (never more admissions than the limit).
import type { RedisConnection } from '../core/connection.js';
import { assertKeyPart, assertPositiveInteger } from '../core/validation.js';
import { SlidingWindowLogLimiter } from '../rate-limit/index.js';

/** A rate: at most `limit` jobs start in any window of `windowMs`. */
export interface RateLimit {
  /** Jobs per window, an integer >= 1. */
  limit: number;
  /** The window in ms, an integer >= 1. */
  windowMs: number;
}

/** Longest group key, in UTF-8 bytes (the limiter's identity is `g:` and the key, at most 1,024 bytes). */
export const MAX_GROUP_BYTES = 1000;

// Local estimates of when the next unit of each limit frees up, so that jobs a worker defers
// line up one unit apart instead of all coming back at once. More entries than this are pruned.
const MAX_SLOTS = 10_000;

/** Validates a {@link RateLimit} option. */
export function assertRateLimit(field: string, rate: RateLimit | undefined): void {
  if (rate === undefined) return;
  assertPositiveInteger(`${field}.limit`, rate?.limit);
  assertPositiveInteger(`${field}.windowMs`, rate.windowMs);
}

/** Validates a job's group key. */
export function assertGroup(field: string, group: unknown): asserts group is string {
  assertKeyPart(field, group, MAX_GROUP_BYTES);
}

/**
 * The queue-wide and per-group rate limits of one queue. {@link admit} answers 0 (run it now)
 * or how long a job must wait.
 */
export class RateGate {
  private readonly queueLimiter: SlidingWindowLogLimiter | undefined;
  private readonly groupLimiter: SlidingWindowLogLimiter | undefined;
  private readonly spacing = new Map<string, number>();
  private readonly nextSlot = new Map<string, number>();
  // Until when (Date.now() ms) the queue-wide limit is known to be full: no job can run before.
  private queueFullUntil = 0;

  constructor(connection: RedisConnection, queueName: string, queueRate: RateLimit | undefined, groupRate: RateLimit | undefined) {
    // 'throw': a check Redis could not answer must not let a job past the limit.
    const common = { connection, name: queueName, outagePolicy: 'throw', outOfMemoryPolicy: 'throw' } as const;
    if (queueRate) {
      this.queueLimiter = new SlidingWindowLogLimiter({ ...common, limit: queueRate.limit, windowMs: queueRate.windowMs });
      this.spacing.set(QUEUE, queueRate.windowMs / queueRate.limit);
    }
    if (groupRate) {
      this.groupLimiter = new SlidingWindowLogLimiter({ ...common, limit: groupRate.limit, windowMs: groupRate.windowMs });
      this.spacing.set(GROUP, groupRate.windowMs / groupRate.limit);
    }
  }

  /**
   * Takes one unit of every limit that applies to a job of `group` (the queue's, its group's),
   * all or none: 0 when it may run now, else the ms it should wait. A job that waited before
   * (`again`) is due at its slot already, so it waits only what the limiter says; a new one
   * queues behind the jobs this worker deferred before it.
   */
  async admit(group: string | undefined, again: boolean): Promise<number> {
    const byGroup = group !== undefined && this.groupLimiter !== undefined;
    if (this.queueLimiter) {
      const q = await this.queueLimiter.check(QUEUE);
      if (!q.allowed) {
        this.queueFullUntil = Date.now() + q.retryAfterMs;
        return this.wait(QUEUE, q.retryAfterMs, again);
      }
    }
    if (byGroup) {
      const id = `g:${group}`;
      const g = await (this.groupLimiter as SlidingWindowLogLimiter).check(id);
      if (!g.allowed) {
        // All or none: the queue's unit goes back.
        if (this.queueLimiter) await this.queueLimiter.reward(QUEUE, 1);
        return this.wait(id, g.retryAfterMs, again);
      }
    }
    return 0;
  }

  /**
   * Ms until the queue-wide limit has room again, as far as this worker knows (0: it may). A
   * worker fetches nothing meanwhile: every job it took would only go back to wait.
   */
  fullForMs(): number {
    return Math.max(0, this.queueFullUntil - Date.now());
  }

  private wait(key: string, retryAfterMs: number, again: boolean): number {
    const ms = Math.max(1, retryAfterMs);
    if (again) return ms;
    const now = Date.now();
    const at = Math.max(now + ms, this.nextSlot.get(key) ?? 0);
    if (this.nextSlot.size >= MAX_SLOTS) {
      for (const [k, t] of this.nextSlot) if (t < now) this.nextSlot.delete(k);
      if (this.nextSlot.size >= MAX_SLOTS) this.nextSlot.clear();
    }
    this.nextSlot.set(key, at + (this.spacing.get(key === QUEUE ? QUEUE : GROUP) ?? 0));
    return at - now;
  }
}

// The queue-wide limit's identity: no group's (`g:<key>`) can equal it.
const QUEUE = '*';
// Stryker disable next-line StringLiteral: equivalent, only the spacing map's key for group limits, distinct from QUEUE's either way
const GROUP = 'g';

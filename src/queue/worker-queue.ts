// The narrow interface between a Worker and its queue: every Redis operation a worker, its
// ack batcher and its maintenance run, and nothing else. The queue's store implements it
// (store.ts); the worker side never sees StreamQueue, so worker.ts and stream-queue.ts do
// not import each other, and StreamQueue needs no member that only a worker may call.
import type { Serializer } from '../core/serializer.js';
import type { StreamEntry } from './job.js';
import type { RateGate } from './rate-gate.js';
import type { Promoted, Reclaimed } from './scripts.js';

/** A job the ack batcher completes, as the ack call needs it. */
export interface AckItem {
  /** The entry to acknowledge and delete. */
  entryId: string;
  /** The job's id when its place or progress must be forgotten (indexed, retried, or it reported progress); else `undefined`. */
  forget: string | undefined;
  /** For events and retention: the job id, its serialized result and its record (JSON); else `undefined`. */
  record: [jobId: string, result: string, record: string] | undefined;
}

/** What the ack batcher needs: one call that completes a batch of jobs. */
export interface AckQueue {
  /** Acknowledges and deletes the entries, and forgets their jobs, at once. */
  ack(items: readonly AckItem[]): Promise<void>;
}

/** What the reclaim step needs. */
export interface ReclaimQueue {
  /**
   * Takes over up to `count` entries other consumers have held for at least `minIdleMs`,
   * scanning the pending list from `cursor`; dead-letters those that used their last try.
   */
  reclaim(consumer: string, minIdleMs: number, count: number, cursor: string): Promise<Reclaimed>;
}

/** What maintenance (promotion of delayed jobs, heartbeat, reclaim, schedules, id sweep) needs. */
export interface MaintenanceQueue extends ReclaimQueue {
  /** Moves up to `limit` due delayed jobs to where workers take them; tells whether the queue is paused. */
  promote(limit: number): Promise<Promoted>;
  /**
   * Resets the idle time (and leases) of entries this consumer still holds, so no other worker
   * reclaims them; heartbeats come every `intervalMs`. Resolves the entries it no longer holds.
   */
  keepClaimed(consumer: string, entryIds: readonly string[], intervalMs: number): Promise<string[]>;
  /** Fires due schedules; resolves the ms until the next one is due (`undefined`: none). */
  fireSchedules(): Promise<number | undefined>;
  /** Whether ids of jobs trimmed by `maxLen` need sweeping (only with `maxLen`). */
  readonly sweeps: boolean;
  /** One step of the sweep of trimmed jobs' ids, from `cursor`; resolves the next cursor. */
  sweep(cursor: string): Promise<string>;
}

/** Why a scripted fetch gave nothing, and what to wait for. */
export type FetchWait =
  | { kind: 'paused' }
  /** No free slot under the queue-wide limit: wait for the signal stream, at most `retryMs`. */
  | { kind: 'full'; retryMs: number; lastSignal: string }
  /** Nothing ready: wait for a new entry (FIFO queues) or the signal stream. */
  | { kind: 'empty'; lastEntry: string; lastSignal: string };

/** A connection of its own for blocking reads, that another connection can interrupt. */
export interface JobReader {
  /** Up to `count` new entries for the consumer, waiting up to `blockMs` for the first one (plain queues). */
  read(count: number, blockMs: number): Promise<StreamEntry[]>;
  /** Waits up to `blockMs` for what `wait` says (scripted fetch); resolves early when it comes. */
  wait(wait: FetchWait, blockMs: number): Promise<void>;
  /**
   * Ends a blocking read or wait now (it resolves as if it timed out). With `force`, when that
   * cannot be asked for (the shared connection is closed), closes the reader's connection.
   */
  interrupt(force?: boolean): Promise<void>;
  /** Calls `onMessage` for every message of the queue's control channel, until {@link close}. */
  listen(onMessage: (message: string) => void): Promise<void>;
  /** Closes the reader's connections. */
  close(): Promise<void>;
}

/** How a try that did not complete ends. */
export interface Failure {
  /** The job's id (kept on the entry of the next try). */
  jobId: string;
  /** Tries used, this one included (unchanged for a deferral). */
  attemptsMade: number;
  /** `dead`: to the dead-letter stream; `retry`: run again after `delayMs`; `defer`: a rate limit was full, wait `delayMs` without using a try. */
  outcome: 'retry' | 'dead' | 'defer';
  /** Delay before the next try, in ms (`0`: at once). */
  delayMs: number;
  /** The try's error, kept on the job (`undefined` for a deferral). */
  error: Error | undefined;
}

/** How the queue wants its workers to fetch and report. */
export interface QueueMode {
  /** Fetch through fetch.lua (priorities, or a queue-wide concurrency limit) rather than plain `XREADGROUP BLOCK`. */
  readonly scripted: boolean;
  /** The queue has priorities: waiting jobs are in the prioritized set, not the stream. */
  readonly priorities: boolean;
  /** Completed jobs need their results sent with the ack (events or retention on). */
  readonly records: boolean;
  /** Events are on: workers publish `active`. */
  readonly events: boolean;
}

/** Everything a Worker needs from its queue. */
export interface WorkerQueue extends AckQueue, MaintenanceQueue {
  /** The queue's name (what its workers' telemetry is attributed to). */
  readonly name: string;
  /** Decodes job data. */
  readonly serializer: Serializer;
  /** How to fetch and what to report. */
  readonly mode: QueueMode;
  /** The queue's rate limits, when it has any. */
  readonly gate: RateGate | undefined;
  /** Creates the consumer group if needed. */
  ensureGroup(): Promise<void>;
  /** Opens a reader for `consumer` on a connection of its own. */
  openReader(consumer: string): Promise<JobReader>;
  /** One scripted fetch: entries to run, or why there are none. */
  fetch(consumer: string, count: number, leaseMs: number): Promise<{ entries: StreamEntry[]; wait?: FetchWait }>;
  /** Whether the queue is paused (one `EXISTS`). */
  isPaused(): Promise<boolean>;
  /** Publishes `active` events for jobs this consumer fetched. */
  emitActive(consumer: string, jobIds: readonly string[]): Promise<void>;
  /** Records a job's progress. */
  progress(jobId: string, progress: unknown): Promise<void>;
  /** Serializes a handler's result for the ack's record; `''` for `undefined` or what cannot be serialized. */
  serializeResult(result: unknown): string;
  /**
   * Records a try of an entry `consumer` holds that did not complete; `false` (and nothing
   * changed) when the entry is no longer the consumer's: its new owner decides.
   */
  fail(consumer: string, entry: StreamEntry, failure: Failure): Promise<boolean>;
  /** Leaves the group: deletes `consumer` if it holds no pending entry. */
  removeConsumer(consumer: string): Promise<void>;
}

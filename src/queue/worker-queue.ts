// The narrow interface between a Worker and its queue: every Redis operation a worker, its
// ack batcher and its maintenance run, and nothing else. The queue's store implements it
// (store.ts); the worker side never sees StreamQueue, so worker.ts and stream-queue.ts do
// not import each other, and StreamQueue needs no member that only a worker may call.
import type { Serializer } from '../core/serializer.js';
import type { StreamEntry } from './job.js';
import type { Promoted, Reclaimed } from './scripts.js';

/** What the ack batcher needs: one call that completes a batch of jobs. */
export interface AckQueue {
  /** Acknowledges and deletes the entries, and frees the caller-given job ids, at once. */
  ack(entryIds: readonly string[], jobIds: readonly string[]): Promise<void>;
}

/** What the reclaim step needs. */
export interface ReclaimQueue {
  /**
   * Takes over up to `count` entries other consumers have held for at least `minIdleMs`,
   * scanning the pending list from `cursor`; dead-letters those that used their last try.
   */
  reclaim(consumer: string, minIdleMs: number, count: number, cursor: string): Promise<Reclaimed>;
}

/** What maintenance (promotion of delayed jobs, heartbeat, reclaim) needs. */
export interface MaintenanceQueue extends ReclaimQueue {
  /** Moves up to `limit` due delayed jobs into the stream. */
  promote(limit: number): Promise<Promoted>;
  /** Resets the idle time of entries this consumer still runs, so no other worker reclaims them. */
  keepClaimed(consumer: string, entryIds: readonly string[], minIdleMs: number): Promise<void>;
}

/** A connection of its own for blocking reads. */
export interface JobReader {
  /** Up to `count` new entries for the consumer, waiting up to `blockMs` for the first one. */
  read(count: number, blockMs: number): Promise<StreamEntry[]>;
  /** Closes the reader's connection. */
  close(): Promise<void>;
}

/** How a failed try ends. */
export interface Failure {
  /** The job's id (kept on the entry of the next try). */
  jobId: string;
  /** Tries used, this one included. */
  attemptsMade: number;
  /** `true`: to the dead-letter stream; `false`: run again after `delayMs`. */
  dead: boolean;
  /** Backoff before the next try, in ms (`0`: at once). */
  delayMs: number;
  /** The try's error, kept on a dead letter. */
  error: Error;
}

/** Everything a Worker needs from its queue. */
export interface WorkerQueue extends AckQueue, MaintenanceQueue {
  /** The queue's name (what its workers' telemetry is attributed to). */
  readonly name: string;
  /** Decodes job data. */
  readonly serializer: Serializer;
  /** Creates the consumer group if needed. */
  ensureGroup(): Promise<void>;
  /** Opens a reader for `consumer` on a connection of its own. */
  openReader(consumer: string): Promise<JobReader>;
  /**
   * Records a failed try of an entry `consumer` holds; `false` (and nothing changed) when the
   * entry is no longer the consumer's: its new owner decides.
   */
  fail(consumer: string, entry: StreamEntry, failure: Failure): Promise<boolean>;
  /** Leaves the group: deletes `consumer` if it holds no pending entry. */
  removeConsumer(consumer: string): Promise<void>;
}

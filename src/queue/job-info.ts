// What getJob answers: a job wherever it is, decoded from get-job.lua's reply.
import type { RedisReply } from '../core/client/types.js';
import type { Serializer } from '../core/serializer.js';
import { fromFieldList, type JobFields, list } from './job.js';

/**
 * Where a job is: `waiting` (ready, not fetched), `prioritized` (ready, in a queue with
 * priorities), `delayed` (waiting for its time), `retrying` (a failed try waits out its
 * backoff), `active` (fetched by a worker, see `consumer`), `completed` (kept by
 * `keepCompleted`), `dead` (used all its tries).
 */
export type JobState = 'waiting' | 'prioritized' | 'delayed' | 'retrying' | 'active' | 'completed' | 'dead';

/** A job as `StreamQueue.getJob` finds it. */
export interface JobInfo<T = unknown> {
  /** The job's id. */
  readonly id: string;
  /** Where it is now. */
  readonly state: JobState;
  /** The job's name. */
  readonly name: string;
  /** Its payload; `undefined` when it cannot be deserialized. */
  readonly data: T | undefined;
  /** Tries used and failed so far (a rate limit's deferrals do not count). */
  readonly attemptsMade: number;
  /** Tries it gets in total. */
  readonly maxAttempts: number;
  /** The last progress its handler reported, `undefined` when none. */
  readonly progress: unknown;
  /** The worker (consumer name) that holds it, when `active`. */
  readonly consumer?: string;
  /** Deliveries of its current try: more than 1 after a worker holding it died. When `active`. */
  readonly deliveries?: number;
  /** When its current entry entered the stream (ms since the epoch), when `waiting`, `active` or `dead` (then: when it died). */
  readonly enqueuedAt?: number;
  /** When it last went to a worker or was kept claimed by one (ms since the epoch, by Redis time), when `active`. */
  readonly claimedAt?: number;
  /** When it is due (ms since the epoch), when `delayed` or `retrying`. */
  readonly dueAt?: number;
  /** Its priority, in a queue with priorities. */
  readonly priority?: number;
  /** Its rate-limit group, when it has one. */
  readonly group?: string;
  /** When it completed (ms since the epoch, Redis time), when `completed`. */
  readonly finishedAt?: number;
  /** What its handler returned, when `completed`. */
  readonly returnValue?: unknown;
  /** Message of the error of its last failed try, when it failed before. */
  readonly lastError?: string;
}

/** The record ack.lua keeps for a completed job: name, data and result, serialized. */
export interface CompletedRecord {
  n: string;
  d: string;
  r: string;
  a: number;
  m: number;
}

function deserialize(serializer: Serializer, text: string): unknown {
  try {
    return serializer.deserialize(text);
  } catch {
    return undefined;
  }
}

/** Decodes get-job.lua's reply; `undefined` when the job is unknown. */
export function toJobInfo<T>(serializer: Serializer, id: string, reply: RedisReply): JobInfo<T> | undefined {
  // Stryker disable next-line StringLiteral: equivalent, get-job.lua always replies with an array, so the name is never shown
  const [state, progressText, entryId, rawFields, consumer, idle, deliveries, time, record] = list(reply, 'queue/get-job');
  const kind = String(state);
  if (kind === 'unknown') return undefined;
  const progress = progressText === '' || progressText == null ? undefined : deserialize(serializer, String(progressText));
  if (kind === 'completed') {
    const r = JSON.parse(String(record)) as CompletedRecord;
    return {
      id,
      state: 'completed',
      name: r.n,
      data: deserialize(serializer, r.d) as T | undefined,
      attemptsMade: r.a,
      maxAttempts: r.m,
      progress: undefined,
      finishedAt: Number(time),
      returnValue: r.r === '' ? undefined : deserialize(serializer, r.r),
    };
  }
  // Stryker disable next-line StringLiteral: equivalent, get-job.lua always replies with a field list here, so the name is never shown
  const f: JobFields = fromFieldList(list(rawFields, 'queue/get-job'));
  const entry = String(entryId);
  const attemptsMade = f.attemptsMade ?? 0;
  let jobState: JobState = kind as JobState;
  if (kind === 'delayed' && attemptsMade > 0) jobState = 'retrying';
  const info: { -readonly [K in keyof JobInfo<T>]: JobInfo<T>[K] } = {
    id,
    state: jobState,
    name: f.name,
    data: deserialize(serializer, f.data) as T | undefined,
    attemptsMade,
    maxAttempts: f.maxAttempts,
    progress,
  };
  if (entry !== '') info.enqueuedAt = Number.parseInt(entry, 10);
  if (kind === 'active') {
    info.consumer = String(consumer);
    info.deliveries = Number(deliveries);
    info.claimedAt = Date.now() - Number(idle);
  }
  if (kind === 'delayed' && time !== '') info.dueAt = Number(time);
  if (f.priority !== undefined) info.priority = f.priority;
  if (f.group !== undefined) info.group = f.group;
  if (f.error !== undefined) info.lastError = f.error;
  return info;
}

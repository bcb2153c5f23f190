import type { RedisReply } from '../core/client/types.js';
import { RedisCommandError } from '../core/errors.js';
import type { Serializer } from '../core/serializer.js';

/** One job as a handler receives it. */
export interface Job<T = unknown> {
  /** Stable id: the caller's `jobId`, or one given at the first enqueue; the same on every retry. */
  readonly id: string;
  /** The job's name (what kind of work it is). */
  readonly name: string;
  /** The payload given to `add`. */
  readonly data: T;
  /** Tries already used and failed before this one (`0` on the first try). */
  readonly attemptsMade: number;
  /** Tries this job gets in total before it is dead-lettered. */
  readonly maxAttempts: number;
  /** Id of the stream entry that carries this try (changes on every retry). */
  readonly entryId: string;
  /** Its priority in a queue with `priorities` (lower runs first); `undefined` elsewhere. */
  readonly priority?: number;
  /** Its rate-limit group (`add`'s `group` option), when it has one. */
  readonly group?: string;
}

/** The job a handler runs: a {@link Job} that can report its progress. */
export interface ActiveJob<T = unknown> extends Job<T> {
  /**
   * Records the job's progress (any serializable value: a percentage, `{ done, total }`):
   * readable with `StreamQueue.getJob` while the job is live, and published as a `progress`
   * event when the queue has `events` on. One script call.
   */
  updateProgress(progress: unknown): Promise<void>;
}

/** A job in the dead-letter stream: the job, the tries it used and its last error. */
export interface DeadJob<T = unknown> extends Job<T> {
  /** Message of the error of the last try. */
  readonly error: string;
  /** Stack of that error, when it had one (first 2,000 characters). */
  readonly stack: string | undefined;
  /** When it was dead-lettered (ms since the epoch, from the entry id). */
  readonly deadAt: number;
}

/**
 * The fields of a job's stream entry. Short names keep entries small:
 * `n` name, `d` data, `m` max attempts, `a` attempts made, `i` caller's job id (deduplicated),
 * `j` id given at the first enqueue, `e` last error, `s` its stack, `t` the producer's trace context,
 * `p` priority, `g` rate-limit group, `r` times a rate limit deferred it.
 */
export interface JobFields {
  name: string;
  data: string;
  maxAttempts: number;
  attemptsMade?: number;
  customId?: string;
  givenId?: string;
  error?: string;
  stack?: string;
  /** Trace context of the producer (JSON of a W3C carrier), only while tracing is on. */
  trace?: string;
  /** Priority in a queue with priorities. */
  priority?: number;
  /** Rate-limit group. */
  group?: string;
  /** Times a rate limit sent it back to wait (tries not used). */
  deferred?: number;
}

/** Flattens {@link JobFields} into XADD's field/value list. */
export function toFieldList(f: JobFields): string[] {
  const out = ['n', f.name, 'd', f.data, 'm', String(f.maxAttempts)];
  if (f.attemptsMade) out.push('a', String(f.attemptsMade));
  if (f.customId !== undefined) out.push('i', f.customId);
  if (f.givenId !== undefined) out.push('j', f.givenId);
  if (f.error !== undefined) out.push('e', f.error);
  if (f.stack !== undefined) out.push('s', f.stack);
  if (f.trace !== undefined) out.push('t', f.trace);
  if (f.priority !== undefined) out.push('p', String(f.priority));
  if (f.group !== undefined) out.push('g', f.group);
  if (f.deferred) out.push('r', String(f.deferred));
  return out;
}

/** Reads a stream entry's flat field/value list back into {@link JobFields}. */
export function fromFieldList(list: readonly unknown[]): JobFields {
  // Stryker disable next-line ObjectLiteral,StringLiteral: equivalent, every entry the scripts write has n, d and m (toFieldList always writes them)
  const f: JobFields = { name: '', data: 'null', maxAttempts: 1 };
  // Stryker disable next-line ArithmeticOperator,EqualityOperator: equivalent, field lists from Redis have even length; a step past the end matches no field
  for (let i = 0; i + 1 < list.length; i += 2) {
    const value = String(list[i + 1]);
    switch (String(list[i])) {
      case 'n':
        f.name = value;
        break;
      case 'd':
        f.data = value;
        break;
      case 'm':
        f.maxAttempts = Number(value);
        break;
      case 'a':
        f.attemptsMade = Number(value);
        break;
      case 'i':
        f.customId = value;
        break;
      case 'j':
        f.givenId = value;
        break;
      case 't':
        f.trace = value;
        break;
      case 'e':
        f.error = value;
        break;
      case 's':
        f.stack = value;
        break;
      case 'p':
        f.priority = Number(value);
        break;
      case 'g':
        f.group = value;
        break;
      case 'r':
        f.deferred = Number(value);
        break;
    }
  }
  return f;
}

/** One entry of a queue's stream (or of its dead-letter stream), its fields decoded. */
export interface StreamEntry {
  /** The entry id (`<ms>-<seq>`). */
  readonly id: string;
  /** The job the entry carries. */
  readonly fields: JobFields;
}

/** The job id of an entry: the caller's id, else the id given at the first enqueue, else the entry id itself. */
export function jobIdOf(entry: StreamEntry): string {
  return entry.fields.customId ?? entry.fields.givenId ?? entry.id;
}

/** Builds the {@link Job} a handler sees from a stream entry. Throws what the serializer throws for unreadable data. */
export function toJob<T>(serializer: Serializer, entry: StreamEntry): Job<T> {
  const { fields } = entry;
  return {
    id: jobIdOf(entry),
    name: fields.name,
    data: serializer.deserialize<T>(fields.data),
    attemptsMade: fields.attemptsMade ?? 0,
    maxAttempts: fields.maxAttempts,
    entryId: entry.id,
    ...(fields.priority === undefined ? {} : { priority: fields.priority }),
    ...(fields.group === undefined ? {} : { group: fields.group }),
  };
}

/** Like {@link toJob}, but `undefined` for an entry whose data cannot be deserialized. */
export function tryToJob<T>(serializer: Serializer, entry: StreamEntry): Job<T> | undefined {
  try {
    return toJob<T>(serializer, entry);
  } catch {
    return undefined;
  }
}

/** Builds a {@link DeadJob} from an entry of the dead-letter stream. */
export function toDeadJob<T>(serializer: Serializer, entry: StreamEntry): DeadJob<T> {
  return {
    ...toJob<T>(serializer, entry),
    // Stryker disable next-line StringLiteral: equivalent, every dead letter carries an error (fail.lua gets one, reclaim.lua writes one)
    error: entry.fields.error ?? '',
    stack: entry.fields.stack,
    deadAt: Number(entry.id.split('-')[0]),
  };
}

/** A reply that must be an array (a Redis array reply); throws a `RedisCommandError` otherwise. */
export function list(reply: RedisReply, what: string): unknown[] {
  if (!Array.isArray(reply)) throw new RedisCommandError(`${what}: expected an array reply, got ${reply === null ? 'nil' : typeof reply}`);
  return reply;
}

/** Stream entries as Redis returns them (`[[id, [field, value, ...]], ...]`), decoded. */
export function toEntries(reply: RedisReply, what: string): StreamEntry[] {
  const raw = list(reply, what);
  // Stryker disable next-line ArrayDeclaration: equivalent, every slot is written below; the size only spares growing it
  const out = new Array<StreamEntry>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const entry = list(raw[i], what);
    out[i] = { id: String(entry[0]), fields: fromFieldList(list(entry[1], what)) };
  }
  return out;
}

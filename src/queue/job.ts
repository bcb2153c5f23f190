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
 * `j` id given at the first enqueue, `e` last error, `s` its stack.
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
}

/** Flattens {@link JobFields} into XADD's field/value list. */
export function toFieldList(f: JobFields): string[] {
  const out = ['n', f.name, 'd', f.data, 'm', String(f.maxAttempts)];
  if (f.attemptsMade) out.push('a', String(f.attemptsMade));
  if (f.customId !== undefined) out.push('i', f.customId);
  if (f.givenId !== undefined) out.push('j', f.givenId);
  if (f.error !== undefined) out.push('e', f.error);
  if (f.stack !== undefined) out.push('s', f.stack);
  return out;
}

/** Reads a stream entry's flat field/value list back into {@link JobFields}. */
export function fromFieldList(list: readonly unknown[]): JobFields {
  const f: JobFields = { name: '', data: 'null', maxAttempts: 1 };
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
      case 'e':
        f.error = value;
        break;
      case 's':
        f.stack = value;
        break;
    }
  }
  return f;
}

/** The job id of an entry: the caller's id, else the id given at first enqueue, else the entry id itself. */
export function jobIdOf(fields: JobFields, entryId: string): string {
  return fields.customId ?? fields.givenId ?? entryId;
}

/** Builds the {@link Job} a handler sees from a stream entry. */
export function toJob<T>(serializer: Serializer, entryId: string, fields: JobFields): Job<T> {
  return {
    id: jobIdOf(fields, entryId),
    name: fields.name,
    data: serializer.deserialize<T>(fields.data),
    attemptsMade: fields.attemptsMade ?? 0,
    maxAttempts: fields.maxAttempts,
    entryId,
  };
}

/** Builds a {@link DeadJob} from an entry of the dead-letter stream. */
export function toDeadJob<T>(serializer: Serializer, entryId: string, fields: JobFields): DeadJob<T> {
  return {
    ...toJob<T>(serializer, entryId, fields),
    error: fields.error ?? '',
    stack: fields.stack,
    deadAt: Number(entryId.split('-')[0]),
  };
}

/** A stream entry as Redis returns it: `[id, [field, value, ...]]`. */
export type RawEntry = [string, unknown[]];

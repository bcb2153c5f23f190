import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { RedisCommandError, ValidationError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import { assertKeyPart, assertNonNegative, assertPositiveInteger } from '../core/validation.js';
import { type DeadJob, fromFieldList, type RawEntry, toDeadJob, toFieldList } from './job.js';
import { type QueueKeys, queueKeys } from './keys.js';
import { addScript, countsScript, removeConsumersScript, retryDeadScript } from './scripts.js';
import { type JobHandler, Worker, type WorkerOptions } from './worker.js';

/** Options of {@link StreamQueue}. */
export interface StreamQueueOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** The queue's name; also the hash tag of all its keys. */
  name: string;
  /** Consumer group every worker of this queue joins. Default `'workers'`. */
  group?: string;
  /** Tries a job gets when `add` does not say. Default `3`. */
  defaultAttempts?: number;
  /**
   * Caps the stream (jobs waiting or running) at about this many entries with `MAXLEN ~`:
   * when producers outrun workers, the OLDEST unfinished jobs are dropped. Load shedding,
   * so off by default (`0`): no job is ever dropped.
   */
  maxLen?: number;
}

/** Options of {@link StreamQueue.add}. */
export interface AddOptions {
  /**
   * Your id for the job. While a job with this id is waiting, delayed, running or dead,
   * adding it again enqueues nothing; once it completed, the id is free again.
   */
  jobId?: string;
  /** Run no earlier than this many ms from now (Redis time). Default `0`. */
  delay?: number;
  /** Run no earlier than this moment (a `Date` or ms since the epoch); instead of `delay`. */
  runAt?: Date | number;
  /** Tries before the job is dead-lettered, `>= 1`. Default: the queue's `defaultAttempts`. */
  attempts?: number;
}

/** What `add` did with one job. */
export interface AddResult {
  /** The job's id: your `jobId`, or one given by the queue. */
  id: string;
  /** `false` when a live job with the same `jobId` already existed, so nothing was added. */
  added: boolean;
  /** `true` when the job waits in the delayed set rather than the stream. */
  delayed: boolean;
}

/** One job for {@link StreamQueue.addBulk}. */
export interface BulkJob<T> {
  /** The job's name. */
  name: string;
  /** The payload (serialized with the connection's serializer). */
  data: T;
  /** Per-job options, as for `add`. */
  options?: AddOptions;
}

/** Jobs of a queue by state, from {@link StreamQueue.counts}. */
export interface QueueCounts {
  /** In the stream, not yet fetched by a worker. */
  waiting: number;
  /** Fetched by a worker and not yet acknowledged (running, or held by a dead worker). */
  pending: number;
  /** Waiting for their `delay` or for a retry's backoff. */
  delayed: number;
  /** In the dead-letter stream. */
  dead: number;
}

interface PreparedJob {
  id: string;
  customId: string;
  delay: number;
  fields: string[];
}

/**
 * A durable job queue on a Redis Stream and one consumer group: at-least-once delivery,
 * retries with backoff, delayed jobs, reclaim of jobs held by dead workers and a
 * dead-letter stream. Producers call {@link add}; workers come from {@link process}.
 *
 * @example
 * const queue = new StreamQueue<{ providerId: string }>({ connection, name: 'availability' });
 * await queue.add('sync', { providerId: 'p-42' }, { jobId: 'sync:p-42' });
 * const worker = await queue.process(async (job) => syncProvider(job.data.providerId), { concurrency: 20 });
 */
export class StreamQueue<T = unknown> {
  /** The connection commands go through. */
  readonly connection: RedisConnection;
  /** The queue's name. */
  readonly name: string;
  /** The consumer group's name. */
  readonly group: string;
  /** The queue's keys. */
  readonly keys: QueueKeys;
  /** Default tries per job. */
  readonly defaultAttempts: number;
  /** Approximate stream cap (`0` = none). */
  readonly maxLen: number;

  constructor(options: StreamQueueOptions) {
    assertKeyPart('name', options?.name);
    const group = options.group ?? 'workers';
    assertKeyPart('group', group);
    const defaultAttempts = options.defaultAttempts ?? 3;
    assertPositiveInteger('defaultAttempts', defaultAttempts);
    const maxLen = options.maxLen ?? 0;
    if (maxLen !== 0) assertPositiveInteger('maxLen', maxLen);
    this.connection = toConnection(options.connection);
    this.name = options.name;
    this.group = group;
    this.defaultAttempts = defaultAttempts;
    this.maxLen = maxLen;
    this.keys = queueKeys(this.connection, options.name);
  }

  /**
   * Enqueues one job. A job without `jobId` and delay is one `XADD`; with either it is
   * one script call (dedup check and enqueue atomic).
   */
  async add(name: string, data: T, options: AddOptions = {}): Promise<AddResult> {
    const job = this.prepare(name, data, options, 'options');
    if (job.customId === '' && job.delay === 0) {
      const trim = this.maxLen ? ['MAXLEN', '~', this.maxLen] : [];
      const entryId = String(await this.connection.send(['XADD', this.keys.stream, ...trim, '*', ...job.fields], this.keys.stream));
      return { id: entryId, added: true, delayed: false };
    }
    const [result] = await this.enqueue([job]);
    return result as AddResult;
  }

  /** Enqueues many jobs in one script call (one round trip, atomic). Every job is validated first. */
  async addBulk(jobs: readonly BulkJob<T>[]): Promise<AddResult[]> {
    if (!Array.isArray(jobs)) throw new ValidationError('jobs', 'must be an array');
    const prepared = jobs.map((j, i) => this.prepare(j?.name, j?.data, j?.options ?? {}, `jobs[${i}]`));
    if (prepared.length === 0) return [];
    return this.enqueue(prepared);
  }

  /** Creates the consumer group if it does not exist yet (idempotent), reading from the stream's start. */
  async ensureGroup(): Promise<void> {
    try {
      await this.connection.send(['XGROUP', 'CREATE', this.keys.stream, this.group, '0', 'MKSTREAM'], this.keys.stream);
    } catch (err) {
      if (!(err instanceof RedisCommandError && err.message.includes('BUSYGROUP'))) throw err;
    }
  }

  /** Starts a {@link Worker} that runs `handler` for every job; resolves once it is fetching. */
  async process(handler: JobHandler<T>, options: WorkerOptions = {}): Promise<Worker<T>> {
    const worker = new Worker<T>(this, handler, options);
    await worker.start();
    return worker;
  }

  /** Jobs per state, in one script call. */
  async counts(): Promise<QueueCounts> {
    const { stream, delayed, dead } = this.keys;
    const [waiting, pending, delayedCount, deadCount] = (await this.connection.run(
      countsScript,
      [stream, delayed, dead],
      [this.group],
    )) as number[];
    return { waiting: Number(waiting), pending: Number(pending), delayed: Number(delayedCount), dead: Number(deadCount) };
  }

  /** The oldest `count` dead-lettered jobs, without removing them. Default `10`. */
  async peekDead(count = 10): Promise<DeadJob<T>[]> {
    assertPositiveInteger('count', count);
    const entries = (await this.connection.send(['XRANGE', this.keys.dead, '-', '+', 'COUNT', count], this.keys.dead)) as RawEntry[];
    return entries.map(([id, list]) => toDeadJob<T>(this.connection.serializer, String(id), fromFieldList(list)));
  }

  /** Moves the oldest `count` dead-lettered jobs back to the queue with fresh tries; returns how many. Default `100`. */
  async retryDead(count = 100): Promise<number> {
    assertPositiveInteger('count', count);
    return Number(await this.connection.run(retryDeadScript, [this.keys.dead, this.keys.stream], [count, this.maxLen]));
  }

  /**
   * Deletes consumers (workers that went away) holding no pending jobs and idle for at
   * least `idleMs`; returns their names. Consumers with pending jobs are kept until those
   * jobs are reclaimed. Default `idleMs` one hour. Idle is the server's `XINFO CONSUMERS`
   * `idle`: since the consumer's last read or claim attempt on Redis 7.2+ and Valkey (a live
   * worker's blocking reads keep it low), since its last successful one on Redis 7.0.
   */
  async removeIdleConsumers(idleMs = 3_600_000): Promise<string[]> {
    assertNonNegative('idleMs', idleMs);
    return this.removeConsumers(idleMs, '');
  }

  /** @internal Used by a closing worker to remove itself. */
  async removeConsumers(idleMs: number, only: string): Promise<string[]> {
    const reply = await this.connection.run(removeConsumersScript, [this.keys.stream], [this.group, Math.floor(idleMs), only]);
    return (reply as unknown[]).map(String);
  }

  private async enqueue(jobs: PreparedJob[]): Promise<AddResult[]> {
    const args: (string | number)[] = [this.maxLen, jobs.length];
    for (const j of jobs) args.push(j.customId, j.delay, j.fields.length, ...j.fields);
    const { stream, delayed, ids } = this.keys;
    const reply = (await this.connection.run(addScript, [stream, delayed, ids], args)) as unknown[];
    return jobs.map((j, i) => {
      const r = String(reply[i]);
      if (r === '') return { id: j.id, added: false, delayed: false };
      if (r === 'delayed') return { id: j.id, added: true, delayed: true };
      return { id: j.id || r, added: true, delayed: false };
    });
  }

  // Validates and serializes one job before anything is sent.
  private prepare(name: unknown, data: unknown, options: AddOptions, field: string): PreparedJob {
    assertKeyPart(`${field}.name`, name);
    if (options === null || typeof options !== 'object') throw new ValidationError(field, 'must be an object');
    const attempts = options.attempts ?? this.defaultAttempts;
    assertPositiveInteger(`${field}.attempts`, attempts);
    const delay = this.delayOf(options, field);
    let serialized: string;
    try {
      serialized = this.connection.serializer.serialize(data);
    } catch (err) {
      throw new ValidationError(`${field}.data`, (err as Error).message);
    }
    let customId = '';
    if (options.jobId !== undefined) {
      assertKeyPart(`${field}.jobId`, options.jobId);
      customId = options.jobId;
    }
    // A delayed job has no stream entry yet to take its id from, so it gets one now.
    const givenId = customId === '' && delay > 0 ? randomId(12) : undefined;
    const fields = toFieldList({ name, data: serialized, maxAttempts: attempts, customId: customId || undefined, givenId });
    return { id: customId || givenId || '', customId, delay, fields };
  }

  private delayOf(options: AddOptions, field: string): number {
    if (options.runAt !== undefined) {
      if (options.delay !== undefined) throw new ValidationError(`${field}.runAt`, 'give either delay or runAt, not both');
      const at = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt;
      if (typeof at !== 'number' || !Number.isFinite(at)) throw new ValidationError(`${field}.runAt`, 'must be a valid Date or epoch ms');
      // The wish is a moment; the script counts from Redis TIME, so only the distance matters.
      return Math.max(0, Math.ceil(at - Date.now()));
    }
    const delay = options.delay ?? 0;
    assertNonNegative(`${field}.delay`, delay);
    return Math.ceil(delay);
  }
}

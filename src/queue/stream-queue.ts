import { type CallOptions, type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { type Durability, durableCalls } from '../core/durability.js';
import { ValidationError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import { addGaugeSource, type GaugeSource, type TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertNonNegative, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';
import { type DeadJob, toDeadJob, toFieldList } from './job.js';
import { type QueueKeys, queueKeys } from './keys.js';
import type { QueueCounts } from './scripts.js';
import { type PreparedJob, QueueStore } from './store.js';
import { carryTrace, instrument } from './telemetry.js';
import { type JobHandler, startWorker, type Worker, type WorkerOptions } from './worker.js';

/** Options of {@link StreamQueue}. */
export interface StreamQueueOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** The queue's name (1 to 1,024 bytes); also the hash tag of all its keys. Required. */
  name: string;
  /** Consumer group every worker of this queue joins (1 to 1,024 bytes). Default `'workers'`. */
  group?: string;
  /** Tries a job gets when `add` does not say, an integer >= 1. Default `3`. */
  defaultAttempts?: number;
  /**
   * Load-shedding policy: caps the stream (jobs waiting or running) at about this many
   * entries with `MAXLEN ~`, so when producers outrun workers the OLDEST unfinished jobs are
   * dropped. An integer >= 0; `0` never drops a job. Default `0`.
   */
  maxLen?: number;
  /**
   * `add` and `addBulk` resolve only once `replicas` replicas confirmed the jobs within
   * `waitMs` (`WAIT` in the same round trip), so a job whose add resolved survives the
   * failover of its primary. When fewer confirm, they reject with `ReplicationError`: the
   * jobs may or may not survive, so add again with the same `jobId` (a job without one could
   * then run twice). Each `WAIT` holds the connection until replicas answer. Default: none.
   */
  durability?: Durability;
}

/** {@link StreamQueueOptions} with defaults applied, validated. */
interface ResolvedQueueOptions {
  connection: RedisConnection;
  name: string;
  group: string;
  defaultAttempts: number;
  maxLen: number;
  durable: CallOptions | undefined;
}

function resolveOptions(options: StreamQueueOptions): ResolvedQueueOptions {
  if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const resolved = {
    name: options.name,
    group: options.group ?? 'workers',
    defaultAttempts: options.defaultAttempts ?? 3,
    maxLen: options.maxLen ?? 0,
  };
  assertKeyPart('name', resolved.name);
  assertKeyPart('group', resolved.group);
  assertPositiveInteger('defaultAttempts', resolved.defaultAttempts);
  assertNonNegativeInteger('maxLen', resolved.maxLen);
  return { ...resolved, durable: durableCalls(options.durability), connection: toConnection(options.connection) };
}

/** Options of {@link StreamQueue.add} (and of each job of `addBulk`). */
export interface AddOptions {
  /**
   * Your id for the job (1 to 1,024 bytes). While a job with this id is waiting, delayed,
   * running or dead, adding it again enqueues nothing; once it completed, the id is free
   * again. Default: none (no deduplication; the queue gives the job an id).
   */
  jobId?: string;
  /** Run no earlier than this many ms from now (by Redis time), >= 0. Default `0`. */
  delayMs?: number;
  /** Run no earlier than this moment (a `Date` or ms since the epoch), instead of `delayMs`. Default: none. */
  runAt?: Date | number;
  /** Tries before the job is dead-lettered, an integer >= 1. Default: the queue's `defaultAttempts`. */
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
  /** Per-job options, as for `add`. Default: none. */
  options?: AddOptions;
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
  private readonly store: QueueStore;
  private readonly telemetry: TelemetryAttributes;
  // Read by telemetry subscribers for the backlog gauges; lives as long as this queue.
  private readonly gauges: GaugeSource;

  constructor(options: StreamQueueOptions) {
    const { connection, name, group, defaultAttempts, maxLen, durable } = resolveOptions(options);
    this.connection = connection;
    this.name = name;
    this.group = group;
    this.defaultAttempts = defaultAttempts;
    this.maxLen = maxLen;
    this.keys = queueKeys(connection, name);
    this.store = new QueueStore(connection, name, this.keys, group, maxLen, durable);
    this.telemetry = { queue: name };
    this.gauges = {
      module: 'queue',
      attributes: this.telemetry,
      read: async () => {
        const c = await this.store.counts();
        return { 'queue.waiting': c.waiting, 'queue.delayed': c.delayed, 'queue.active': c.pending, 'queue.dead': c.dead };
      },
    };
    addGaugeSource(this.gauges);
  }

  /**
   * Enqueues one job. A job without `jobId` and delay is one `XADD`; with either it is
   * one script call (dedup check and enqueue atomic).
   */
  async add(name: string, data: T, options: AddOptions = {}): Promise<AddResult> {
    const job = this.prepare(name, data, options, 'options');
    if (!instrument.enabled) return this.enqueue(job);
    return instrument.trace(
      'add',
      this.telemetry,
      undefined,
      async (context) => {
        carryTrace(context, [job]);
        const result = await this.enqueue(job);
        if (context) context.outcome = result.added ? 'added' : 'duplicate';
        return result;
      },
      {},
    );
  }

  private async enqueue(job: PreparedJob): Promise<AddResult> {
    if (job.customId === '' && job.delayMs === 0) {
      return { id: await this.store.append(job.fields), added: true, delayed: false };
    }
    const [reply = ''] = await this.store.enqueue([job]);
    return toResult(job, reply);
  }

  /** Enqueues many jobs in one script call (one round trip, atomic). Every job is validated first. */
  async addBulk(jobs: readonly BulkJob<T>[]): Promise<AddResult[]> {
    if (!Array.isArray(jobs)) throw new ValidationError('jobs', 'must be an array');
    const prepared = jobs.map((j, i) => this.prepare(j?.name, j?.data, j?.options ?? {}, `jobs[${i}]`));
    if (prepared.length === 0) return [];
    return instrument.trace(
      'addBulk',
      this.telemetry,
      undefined,
      async (context) => {
        carryTrace(context, prepared);
        const replies = await this.store.enqueue(prepared);
        const results = prepared.map((job, i) => toResult(job, replies[i] ?? ''));
        if (context) context.measurements = { jobs: results.filter((r) => r.added).length };
        return results;
      },
      {},
    );
  }

  /** Creates the consumer group if it does not exist yet (idempotent), reading from the stream's start. */
  ensureGroup(): Promise<void> {
    return this.store.ensureGroup();
  }

  /**
   * Starts a {@link Worker} that runs `handler` for every job; resolves once it is fetching.
   * Rejects with a `ValidationError` for bad options, before anything is sent.
   */
  process(handler: JobHandler<T>, options?: WorkerOptions): Promise<Worker<T>> {
    return startWorker<T>(this.store, handler, options);
  }

  /** Jobs per state, in one script call. */
  counts(): Promise<QueueCounts> {
    return this.store.counts();
  }

  /** The oldest `count` dead-lettered jobs, without removing them. Default `10`. */
  async peekDead(count = 10): Promise<DeadJob<T>[]> {
    assertPositiveInteger('count', count);
    const entries = await this.store.deadLetters(count);
    return entries.map((entry) => toDeadJob<T>(this.connection.serializer, entry));
  }

  /** Moves the oldest `count` dead-lettered jobs back to the queue with fresh tries; resolves how many. Default `100`. */
  async retryDead(count = 100): Promise<number> {
    assertPositiveInteger('count', count);
    return this.store.retryDead(count);
  }

  /**
   * Deletes consumers (workers that went away) holding no pending jobs and idle for at
   * least `idleMs`; resolves their names. Consumers with pending jobs are kept until those
   * jobs are reclaimed. Default `idleMs` one hour. Idle is the server's `XINFO CONSUMERS`
   * `idle`: since the consumer's last read or claim attempt on Redis 7.2+ and Valkey (a live
   * worker's blocking reads keep it low), since its last successful one on Redis 7.0.
   */
  async removeIdleConsumers(idleMs = 3_600_000): Promise<string[]> {
    assertNonNegative('idleMs', idleMs);
    return this.store.removeConsumers(idleMs, '');
  }

  // Validates and serializes one job before anything is sent.
  private prepare(name: unknown, data: unknown, options: AddOptions, field: string): PreparedJob {
    assertKeyPart(`${field}.name`, name);
    if (options === null || typeof options !== 'object') throw new ValidationError(field, 'must be an object');
    const attempts = options.attempts ?? this.defaultAttempts;
    assertPositiveInteger(`${field}.attempts`, attempts);
    const delayMs = delayOf(options, field);
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
    const givenId = customId === '' && delayMs > 0 ? randomId(12) : undefined;
    const fields = toFieldList({ name, data: serialized, maxAttempts: attempts, customId: customId || undefined, givenId });
    return { id: customId || givenId || '', customId, delayMs, fields };
  }
}

// add.lua's answer for one job: its entry id, 'delayed', or '' when its job id was taken.
function toResult(job: PreparedJob, reply: string): AddResult {
  if (reply === '') return { id: job.id, added: false, delayed: false };
  if (reply === 'delayed') return { id: job.id, added: true, delayed: true };
  return { id: job.id || reply, added: true, delayed: false };
}

function delayOf(options: AddOptions, field: string): number {
  // The option was renamed; a job meant for later must not run at once because of the old name.
  if ('delay' in options) throw new ValidationError(`${field}.delay`, 'is not an option; the delay is delayMs');
  if (options.runAt !== undefined) {
    if (options.delayMs !== undefined) throw new ValidationError(`${field}.runAt`, 'give either delayMs or runAt, not both');
    const at = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt;
    if (typeof at !== 'number' || !Number.isFinite(at)) throw new ValidationError(`${field}.runAt`, 'must be a valid Date or epoch ms');
    // The wish is a moment; the script counts from Redis TIME, so only the distance matters.
    return Math.max(0, Math.ceil(at - Date.now()));
  }
  const delayMs = options.delayMs ?? 0;
  assertNonNegative(`${field}.delayMs`, delayMs);
  return Math.ceil(delayMs);
}

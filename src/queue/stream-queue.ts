import { type CallOptions, type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { type Durability, durableCalls } from '../core/durability.js';
import { ValidationError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import { addGaugeSource, type GaugeSource, type TelemetryAttributes } from '../core/telemetry.js';
import { timeLimit } from '../core/time-limit.js';
import {
  assertInRange,
  assertKeyPart,
  assertNonNegative,
  assertNonNegativeInteger,
  assertPositiveInteger,
  booleanOption,
} from '../core/validation.js';
import { type DeadJob, fromFieldList, type Job, toFieldList } from './job.js';
import type { JobInfo } from './job-info.js';
import { type QueueKeys, queueKeys } from './keys.js';
import { QueueEvents } from './queue-events.js';
import { assertGroup, assertRateLimit, RateGate, type RateLimit } from './rate-gate.js';
import { firstRun, parseSpec, type ScheduleInfo, type ScheduleSpec, type ScheduleTiming, toTiming } from './schedules.js';
import type { QueueCounts } from './scripts.js';
import { type PreparedJob, QueueStore } from './store.js';
import { carryTrace, instrument } from './telemetry.js';
import { type JobHandler, startWorker, type Worker, type WorkerOptions } from './worker.js';

/** Highest job priority (lower runs first; 0 is the most urgent): BullMQ's limit, 2^21. */
export const MAX_PRIORITY = 2_097_152;
/** Highest queue-wide concurrency limit. */
export const MAX_GLOBAL_CONCURRENCY = 100_000;
/** Highest cap of the events stream and of retained completed jobs. */
export const MAX_RETAINED = 1_000_000;
/** Most entries one page of `listDead` / `listDelayed` returns. */
export const MAX_PAGE = 1000;

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
   * dropped (their job ids are freed by the workers' next sweep). An integer >= 0; `0` never
   * drops a job. Default `0`.
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
  /**
   * Most dead letters kept: past it, the oldest are deleted (and their job ids freed). An
   * integer >= 0; `0` keeps every dead letter. Default `10000`.
   */
  deadLetterMaxLen?: number;
  /**
   * Durable priorities: every job waits in a sorted set by `priority` (lower first, equal
   * priorities in the order added) and moves to the stream only when a worker takes it, in the
   * same script, so a crash never loses it. Costs a script call per fetch and per add. Give the
   * same value to every `StreamQueue` of this queue. Default `false`.
   */
  priorities?: boolean;
  /**
   * At most this many jobs of the queue run at once across all workers, enforced in Redis with
   * leases that a dead worker's jobs lose after its `visibilityTimeoutMs`. An integer from 0 to
   * 100,000; `0` for no limit. Give the same value to every `StreamQueue` that runs workers.
   * Default `0`.
   */
  globalConcurrency?: number;
  /** At most `limit` jobs of the queue start in any window of `windowMs`, across all workers. Default: none. */
  rateLimit?: RateLimit;
  /**
   * At most `limit` jobs of each group (`add`'s `group` option: a pharmacy, a provider) start in
   * any window of `windowMs`, across all workers. Jobs without a group are not limited by it.
   * Default: none.
   */
  groupRateLimit?: RateLimit;
  /**
   * Publish queue events to a capped stream that {@link QueueEvents} listeners in any process
   * read (`true`: capped at about 10,000 events). Turn it on for every `StreamQueue` of this
   * queue (producers and workers): each publishes what it does. Default `false`.
   */
  events?: boolean | EventsOptions;
  /**
   * Keep completed jobs with their return value, for `getJob` (`true`: the last 1,000). `count`
   * (default 1,000, at most 1,000,000) keeps the newest ones, `ageMs` (default none) drops older
   * ones. Default `false` (a completed job is gone).
   */
  keepCompleted?: boolean | KeepCompletedOptions;
}

/** How many events the queue's events stream keeps. */
export interface EventsOptions {
  /** About this many newest events are kept (`MAXLEN ~`), 1 to 1,000,000. Default `10000`. */
  maxLen?: number;
}

/** Which completed jobs are kept, with their return value. */
export interface KeepCompletedOptions {
  /** The newest this many are kept, 1 to 1,000,000. Default `1000`. */
  count?: number;
  /** Older ones than this many ms are dropped (at the next completion), >= 0; `0` for no age limit. Default `0`. */
  ageMs?: number;
}

/** {@link StreamQueueOptions} with defaults applied, validated. */
interface ResolvedQueueOptions {
  connection: RedisConnection;
  name: string;
  group: string;
  defaultAttempts: number;
  maxLen: number;
  durable: CallOptions | undefined;
  deadLetterMaxLen: number;
  priorities: boolean;
  globalConcurrency: number;
  rateLimit: RateLimit | undefined;
  groupRateLimit: RateLimit | undefined;
  eventsMaxLen: number;
  keepCount: number;
  keepAgeMs: number;
}

// An option that is off (`false`, left out), on with its defaults (`true`) or on with some of them given.
function switchable<T extends object>(field: string, value: boolean | T | undefined): Partial<T> | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (value === null || typeof value !== 'object') throw new ValidationError(field, 'must be a boolean or an object');
  return value;
}

function resolveOptions(options: StreamQueueOptions): ResolvedQueueOptions {
  if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const events = switchable('events', options.events);
  const keep = switchable('keepCompleted', options.keepCompleted);
  const resolved = {
    name: options.name,
    group: options.group ?? 'workers',
    defaultAttempts: options.defaultAttempts ?? 3,
    maxLen: options.maxLen ?? 0,
    deadLetterMaxLen: options.deadLetterMaxLen ?? 10_000,
    priorities: booleanOption('priorities', options.priorities, false),
    globalConcurrency: options.globalConcurrency ?? 0,
    rateLimit: options.rateLimit,
    groupRateLimit: options.groupRateLimit,
    eventsMaxLen: events ? (events.maxLen ?? 10_000) : 0,
    keepCount: keep ? (keep.count ?? 1000) : 0,
    keepAgeMs: keep ? (keep.ageMs ?? 0) : 0,
  };
  assertKeyPart('name', resolved.name);
  assertKeyPart('group', resolved.group);
  assertPositiveInteger('defaultAttempts', resolved.defaultAttempts);
  assertNonNegativeInteger('maxLen', resolved.maxLen);
  assertNonNegativeInteger('deadLetterMaxLen', resolved.deadLetterMaxLen);
  assertNonNegativeInteger('globalConcurrency', resolved.globalConcurrency);
  assertInRange('globalConcurrency', resolved.globalConcurrency, 0, MAX_GLOBAL_CONCURRENCY);
  assertRateLimit('rateLimit', resolved.rateLimit);
  assertRateLimit('groupRateLimit', resolved.groupRateLimit);
  if (events) {
    assertPositiveInteger('events.maxLen', resolved.eventsMaxLen);
    assertInRange('events.maxLen', resolved.eventsMaxLen, 1, MAX_RETAINED);
  }
  if (keep) {
    assertPositiveInteger('keepCompleted.count', resolved.keepCount);
    assertInRange('keepCompleted.count', resolved.keepCount, 1, MAX_RETAINED);
    assertNonNegativeInteger('keepCompleted.ageMs', resolved.keepAgeMs);
  }
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
  /**
   * Its priority in a queue created with `priorities: true`: an integer from 0 (most urgent) to
   * 2,097,152; equal priorities run in the order added. Default `0`. A `ValidationError` on a
   * queue without priorities.
   */
  priority?: number;
  /** Its group for the queue's `groupRateLimit` (1 to 1,000 bytes): a pharmacy, a provider. Default: none. */
  group?: string;
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

/** A page of dead letters from {@link StreamQueue.listDead}. */
export interface DeadPage<T> {
  /** The dead letters of this page that matched, oldest first. */
  jobs: DeadJob<T>[];
  /** Pass as `after` for the next page; `undefined` when this was the last one. */
  next: string | undefined;
}

/** Options of {@link StreamQueue.listDead}. */
export interface ListDeadOptions {
  /** Start after this cursor (a `next` of an earlier page). Default: from the oldest. */
  after?: string;
  /** Dead letters read for this page, 1 to 1,000. Default `100`. */
  count?: number;
  /** Only jobs of this name. Default: any. */
  name?: string;
  /** Only jobs whose last error contains this text. Default: any. */
  errorIncludes?: string;
}

/** A delayed job from {@link StreamQueue.listDelayed}. */
export interface DelayedJob<T> extends Job<T> {
  /** When it is due (ms since the epoch). */
  readonly dueAt: number;
}

/** A page of delayed jobs, soonest first. */
export interface DelayedPage<T> {
  /** The jobs of this page. */
  jobs: DelayedJob<T>[];
  /** Delayed jobs in all. */
  total: number;
}

/** The job a schedule enqueues at each run. */
export interface ScheduledJob<T> {
  /** The job's name. */
  name: string;
  /** Its payload, serialized once when the schedule is declared. */
  data: T;
  /** Tries per run. Default: the queue's `defaultAttempts`. */
  attempts?: number;
  /** Priority (a queue with priorities). Default `0`. */
  priority?: number;
  /** Rate-limit group. Default: none. */
  group?: string;
}

/**
 * A durable job queue on a Redis Stream and one consumer group: at-least-once delivery,
 * retries with backoff, delayed jobs, reclaim of jobs held by dead workers and a
 * dead-letter stream; pause and resume, job inspection, progress and events, queue-wide
 * concurrency and rate limits, durable priorities and schedules. Producers call {@link add};
 * workers come from {@link process}.
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
  /** Whether jobs wait by priority. */
  readonly priorities: boolean;
  private readonly store: QueueStore;
  private readonly options: ResolvedQueueOptions;
  private readonly telemetry: TelemetryAttributes;
  // Read by telemetry subscribers for the backlog gauges; lives as long as this queue.
  private readonly gauges: GaugeSource;

  constructor(options: StreamQueueOptions) {
    const resolved = resolveOptions(options);
    const { connection, name, group, defaultAttempts, maxLen } = resolved;
    this.options = resolved;
    this.connection = connection;
    this.name = name;
    this.group = group;
    this.defaultAttempts = defaultAttempts;
    this.maxLen = maxLen;
    this.priorities = resolved.priorities;
    this.keys = queueKeys(connection, name);
    const gate =
      resolved.rateLimit || resolved.groupRateLimit
        ? new RateGate(connection, name, resolved.rateLimit, resolved.groupRateLimit)
        : undefined;
    this.store = new QueueStore(
      connection,
      name,
      this.keys,
      {
        group,
        maxLen,
        priorities: resolved.priorities,
        globalConcurrency: resolved.globalConcurrency,
        eventsMaxLen: resolved.eventsMaxLen,
        keepCount: resolved.keepCount,
        keepAgeMs: resolved.keepAgeMs,
        deadMaxLen: resolved.deadLetterMaxLen,
      },
      gate,
      resolved.durable,
    );
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
   * Enqueues one job. A job without `jobId`, delay or priority on a queue without events is one
   * `XADD`; otherwise it is one script call (dedup check and enqueue atomic).
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
    if (job.customId === '' && job.delayMs === 0 && !this.store.mode.priorities && !this.store.mode.events) {
      return { id: await this.store.append(job.fields), added: true, delayed: false };
    }
    // Stryker disable next-line StringLiteral: equivalent, add.lua answers one reply for every job it is given: the default is never taken
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
        // Stryker disable next-line StringLiteral: equivalent, add.lua answers one reply for every job it is given: the fallback is never taken
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

  /**
   * Pauses the whole queue: every worker of it, in every process, stops fetching within about a
   * second (at once when the control channel's message reaches it); jobs already running finish.
   * Adding jobs still works. Resolves `true` when it was running. One script call.
   */
  pause(): Promise<boolean> {
    return this.traced('pause', () => this.store.pause('pause'));
  }

  /** Resumes a paused queue: workers fetch again at once. Resolves `true` when it was paused. */
  resume(): Promise<boolean> {
    return this.traced('resume', () => this.store.pause('resume'));
  }

  /** Whether the queue is paused (one `EXISTS`). */
  isPaused(): Promise<boolean> {
    return this.store.isPaused();
  }

  /**
   * Finds a job by id wherever it is, with its state (waiting, prioritized, delayed, retrying,
   * active with its consumer, completed when kept, dead), tries, progress, times and last
   * error; `undefined` when there is no such job (never added, or completed and not kept). One
   * script call.
   */
  async getJob(id: string): Promise<JobInfo<T> | undefined> {
    assertKeyPart('id', id);
    return this.traced('getJob', () => this.store.getJob<T>(id));
  }

  /** Jobs fetched and not yet acknowledged, per worker (consumer name): one `XPENDING`. */
  activeByConsumer(): Promise<Record<string, number>> {
    return this.traced('activeByConsumer', () => this.store.activeByConsumer());
  }

  /** The oldest `count` dead-lettered jobs, without removing them. Default `10`. */
  async peekDead(count = 10): Promise<DeadJob<T>[]> {
    assertPositiveInteger('count', count);
    const entries = await this.store.deadLetters(count);
    return entries.map((entry) => this.store.deadJob<T>(entry));
  }

  /**
   * One page of dead letters, oldest first, optionally only those of a job name or whose error
   * contains a text (filters apply to the page read: a page may hold fewer than `count`).
   * Page on with `next`. One `XRANGE`.
   */
  async listDead(options: ListDeadOptions = {}): Promise<DeadPage<T>> {
    if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
    const count = options.count ?? 100;
    assertPositiveInteger('count', count);
    assertInRange('count', count, 1, MAX_PAGE);
    if (options.after !== undefined && !/^\d+-\d+$/.test(String(options.after)))
      throw new ValidationError('after', 'must be a cursor from next');
    if (options.name !== undefined) assertKeyPart('name', options.name);
    if (options.errorIncludes !== undefined && typeof options.errorIncludes !== 'string') {
      throw new ValidationError('errorIncludes', 'must be a string');
    }
    return this.traced('listDead', async () => {
      const entries = await this.store.deadLetters(count, options.after ?? '');
      const jobs = entries
        .map((entry) => this.store.deadJob<T>(entry))
        .filter(
          (j) =>
            (options.name === undefined || j.name === options.name) &&
            (options.errorIncludes === undefined || j.error.includes(options.errorIncludes)),
        );
      // Stryker disable next-line OptionalChaining: equivalent, a full page holds count >= 1 entries: its last one exists
      return { jobs, next: entries.length === count ? entries[entries.length - 1]?.id : undefined };
    });
  }

  /** One page of delayed jobs (and retries waiting out their backoff), soonest first. One script call. */
  async listDelayed(options: { offset?: number; count?: number } = {}): Promise<DelayedPage<T>> {
    if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
    const offset = options.offset ?? 0;
    const count = options.count ?? 100;
    assertNonNegativeInteger('offset', offset);
    assertPositiveInteger('count', count);
    assertInRange('count', count, 1, MAX_PAGE);
    return this.traced('listDelayed', async () => {
      const { total, page } = await this.store.listDelayed(offset, count);
      const jobs = page.map(([id, due, fields]): DelayedJob<T> => {
        const f = fromFieldList(fields);
        let data: T;
        try {
          data = this.connection.serializer.deserialize<T>(f.data);
        } catch {
          data = undefined as T;
        }
        return {
          id,
          name: f.name,
          data,
          attemptsMade: f.attemptsMade ?? 0,
          maxAttempts: f.maxAttempts,
          entryId: '',
          dueAt: due,
          ...(f.priority === undefined ? {} : { priority: f.priority }),
          ...(f.group === undefined ? {} : { group: f.group }),
        };
      });
      return { jobs, total };
    });
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

  /**
   * Creates or updates the schedule `id` (1 to 1,024 bytes): at every run of `timing` (a cron
   * pattern in a time zone, or a fixed interval) the queue enqueues `job`. Every instance may
   * declare its schedules at start-up: declaring an unchanged schedule again changes nothing
   * (its next run stays), a changed one starts over. Runs are fired by the queue's workers
   * (any one of them, in any process): each run exactly once, also when the instance that
   * would have fired it dies. Resolves `true` when created or changed. One script call.
   */
  async upsertSchedule(id: string, timing: ScheduleTiming, job: ScheduledJob<T>): Promise<boolean> {
    assertKeyPart('id', id);
    const stored = toTiming(timing);
    if (job === null || typeof job !== 'object') throw new ValidationError('job', 'must be an object');
    const prepared = this.prepare(job.name, job.data, schedOptions(job), 'job');
    // The run's own id is added when it fires: the stored fields carry none.
    const spec: ScheduleSpec = { ...stored, f: stripGivenId(prepared.fields) };
    const first = firstRun(spec, timing, Date.now());
    return this.traced('upsertSchedule', () => this.store.upsertSchedule(id, JSON.stringify(spec), first));
  }

  /** Removes schedule `id`; jobs it enqueued stay. Resolves `true` when it existed. */
  async removeSchedule(id: string): Promise<boolean> {
    assertKeyPart('id', id);
    return this.traced('removeSchedule', () => this.store.removeSchedule(id));
  }

  /** Every schedule with its next run. */
  async getSchedules(): Promise<ScheduleInfo[]> {
    const all = await this.store.schedules();
    const out: ScheduleInfo[] = [];
    for (const [id, [text, next]] of all) {
      const spec = parseSpec(text);
      if (!spec) continue;
      const fields = fromFieldList(spec.f);
      out.push({
        id,
        jobName: fields.name,
        nextRunAt: next,
        ...(spec.c === undefined ? {} : { cron: spec.c }),
        ...(spec.z === undefined ? {} : { timeZone: spec.z }),
        ...(spec.e === undefined ? {} : { everyMs: spec.e }),
      });
    }
    return out;
  }

  /**
   * A listener of this queue's events (from any process), reading the events stream with
   * `XREAD BLOCK` on a connection of its own: start it with `QueueEvents.start()`. Needs
   * `events` on for the queues that produce and process the jobs.
   */
  events(): QueueEvents<T> {
    return new QueueEvents<T>({ connection: this.connection, name: this.name, serializer: this.connection.serializer, keys: this.keys });
  }

  /**
   * Resolves once nothing is waiting, delayed or running: at once when that is so now, else at
   * the next `drained` event. Needs `events` on (a `ValidationError` otherwise); rejects
   * after `timeoutMs` (default: never).
   */
  async whenDrained(timeoutMs = 0): Promise<void> {
    assertNonNegative('timeoutMs', timeoutMs);
    if (this.options.eventsMaxLen === 0) throw new ValidationError('events', 'whenDrained needs a queue with events on');
    const c = await this.store.countsAndLastEvent();
    if (c.waiting + c.pending + c.delayed === 0) return;
    const listener = this.events();
    const drained = new Promise<void>((resolve) => listener.once('drained', () => resolve()));
    await listener.start(c.lastEvent);
    try {
      await timeLimit(drained, timeoutMs, () => new Error(`queue ${this.name} not drained within ${timeoutMs} ms`));
    } finally {
      await listener.close();
    }
  }

  private traced<R>(operation: string, run: () => Promise<R>): Promise<R> {
    if (!instrument.enabled) return run();
    return instrument.trace(operation, this.telemetry, undefined, run);
  }

  // Validates and serializes one job before anything is sent.
  private prepare(name: unknown, data: unknown, options: AddOptions, field: string): PreparedJob {
    assertKeyPart(`${field}.name`, name);
    if (options === null || typeof options !== 'object') throw new ValidationError(field, 'must be an object');
    const attempts = options.attempts ?? this.defaultAttempts;
    assertPositiveInteger(`${field}.attempts`, attempts);
    const delayMs = delayOf(options, field);
    let priority: number | undefined;
    if (options.priority !== undefined || this.priorities) {
      if (!this.priorities) throw new ValidationError(`${field}.priority`, 'needs a queue created with priorities: true');
      priority = options.priority ?? 0;
      assertNonNegativeInteger(`${field}.priority`, priority);
      assertInRange(`${field}.priority`, priority, 0, MAX_PRIORITY);
    }
    if (options.group !== undefined) assertGroup(`${field}.group`, options.group);
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
    // A delayed or prioritized job has no stream entry yet to take its id from, so it gets one now.
    const givenId = customId === '' && (delayMs > 0 || this.priorities) ? randomId(12) : undefined;
    const fields = toFieldList({
      name,
      data: serialized,
      maxAttempts: attempts,
      customId: customId || undefined,
      givenId,
      priority,
      group: options.group,
    });
    return { id: customId || givenId || '', customId, delayMs, fields };
  }
}

function schedOptions(job: ScheduledJob<unknown>): AddOptions {
  const o: AddOptions = {};
  if (job.attempts !== undefined) o.attempts = job.attempts;
  if (job.priority !== undefined) o.priority = job.priority;
  if (job.group !== undefined) o.group = job.group;
  return o;
}

// A schedule's stored fields carry no id: each run gets its own when it fires.
function stripGivenId(fields: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] !== 'j') out.push(fields[i] as string, fields[i + 1] as string);
  return out;
}

// add.lua's answer for one job: its entry id, 'delayed', 'p', or '' when its job id was taken.
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
    if (!Number.isFinite(at)) throw new ValidationError(`${field}.runAt`, 'must be a valid Date or epoch ms');
    // The wish is a moment; the script counts from Redis TIME, so only the distance matters.
    return Math.max(0, Math.ceil(at - Date.now()));
  }
  const delayMs = options.delayMs ?? 0;
  assertNonNegative(`${field}.delayMs`, delayMs);
  return Math.ceil(delayMs);
}

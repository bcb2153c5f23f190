// A worker is three parts around one narrow interface of its queue (worker-queue.ts), never
// StreamQueue itself: this file fetches, runs handlers and records failed tries;
// ack-batcher.ts acknowledges completed jobs in batches; maintenance.ts runs the background
// passes (promotion of delayed jobs, the heartbeat of long jobs, and the reclaim of stalled
// jobs, all of whose worker side is reclaim.ts). The queue's store (store.ts) implements the
// interface: every Redis command of a StreamQueue and its workers is there. A worker also
// listens to its queue's control channel: `pause` and `resume` of the whole queue, and `due`
// when a delayed job became the earliest (so it is promoted on time).
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { type BackoffOptions, backoffDelay, sleep } from '../core/async.js';
import { ValidationError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import type { OperationContext, TelemetryAttributes } from '../core/telemetry.js';
import { timeLimit } from '../core/time-limit.js';
import { assertInRange, assertKeyPart, assertNonNegative, assertPositive, assertPositiveInteger } from '../core/validation.js';
import { AckBatcher, type Completed } from './ack-batcher.js';
import { type ActiveJob, type Job, jobIdOf, type StreamEntry, toJob, tryToJob } from './job.js';
import { Maintenance } from './maintenance.js';
import { carriedTrace, instrument } from './telemetry.js';
import type { AckItem, JobReader, WorkerQueue } from './worker-queue.js';

/**
 * Runs one job. Resolve to complete it (what it resolves is the job's return value, in the
 * `completed` event and, with `keepCompleted`, in `getJob`), throw (or reject) to fail this
 * try. `signal` aborts when `close()` stops waiting for the job: the job then stays pending for
 * another worker. `job.updateProgress(value)` reports progress.
 */
export type JobHandler<T> = (job: ActiveJob<T>, signal: AbortSignal) => unknown;

/** Options of a {@link Worker} (the second argument of `StreamQueue.process`). */
export interface WorkerOptions {
  /** Jobs run at once, an integer from 1 to 1000. Default `1`. */
  concurrency?: number;
  /** Consumer name in the group, unique per worker (1 to 1,024 bytes). Default `<host>-<pid>-<random>`. */
  consumer?: string;
  /** Longest wait of one `XREADGROUP BLOCK` when the queue is empty, in ms (> 0). Default `1000`. */
  blockMs?: number;
  /**
   * A job fetched by a worker and not acknowledged for this long (ms, > 0) is taken over by
   * another worker: its worker is presumed dead. Running jobs of a live worker are kept
   * claimed by a heartbeat, so this need not exceed your longest job; it is how long the jobs
   * of a crashed worker wait. Default `30000`.
   */
  visibilityTimeoutMs?: number;
  /**
   * Retry policy of a failed try: the delay before retry `n` is `baseMs * factor^(n-1)`,
   * capped at `maxMs`, with a `jitter` share of it randomized (0 to 1). Default
   * `{ baseMs: 1000, maxMs: 60000, factor: 2, jitter: 0.5 }`; give only what you change.
   */
  backoff?: Partial<BackoffOptions>;
  /**
   * Longest time between two moves of due delayed jobs (and retries) into the stream, in ms
   * (> 0); sooner when the next one is due sooner. Default `500`.
   */
  promoteIntervalMs?: number;
  /** How long `close()` waits for running jobs when not told otherwise, in ms (`0`: not at all). Default `10000`. */
  closeTimeoutMs?: number;
}

/** {@link WorkerOptions} with defaults applied, validated. */
interface ResolvedWorkerOptions {
  concurrency: number;
  consumer: string;
  blockMs: number;
  visibilityTimeoutMs: number;
  backoff: Required<BackoffOptions>;
  promoteIntervalMs: number;
  closeTimeoutMs: number;
}

function resolveOptions(options: WorkerOptions | undefined): ResolvedWorkerOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) throw new ValidationError('options', 'must be an object');
  const o = options ?? {};
  const resolved: ResolvedWorkerOptions = {
    concurrency: o.concurrency ?? 1,
    consumer: o.consumer ?? `${hostname()}-${process.pid}-${randomId(4)}`,
    blockMs: o.blockMs ?? 1000,
    visibilityTimeoutMs: o.visibilityTimeoutMs ?? 30_000,
    backoff: { baseMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.5, ...o.backoff },
    promoteIntervalMs: o.promoteIntervalMs ?? 500,
    closeTimeoutMs: o.closeTimeoutMs ?? 10_000,
  };
  assertPositiveInteger('concurrency', resolved.concurrency);
  assertInRange('concurrency', resolved.concurrency, 1, 1000);
  assertKeyPart('consumer', resolved.consumer);
  assertPositive('blockMs', resolved.blockMs);
  assertPositive('visibilityTimeoutMs', resolved.visibilityTimeoutMs);
  const { backoff } = resolved;
  assertNonNegative('backoff.baseMs', backoff.baseMs);
  assertNonNegative('backoff.maxMs', backoff.maxMs);
  assertPositive('backoff.factor', backoff.factor);
  assertInRange('backoff.jitter', backoff.jitter, 0, 1);
  assertPositive('promoteIntervalMs', resolved.promoteIntervalMs);
  assertNonNegative('closeTimeoutMs', resolved.closeTimeoutMs);
  return resolved;
}

/**
 * Events of a {@link Worker} and their arguments. A listener that throws does not disturb
 * the worker: its error is reported as an `error` event.
 */
export interface WorkerEvents<T = unknown> {
  /** A job succeeded and was acknowledged (emitted after the ack call, with what the handler returned). */
  completed: [job: Job<T>, result: unknown];
  /**
   * A try of a job failed: emitted for every failed try, before `retrying` or `deadLettered`.
   * `job.data` is `undefined` when the payload could not be deserialized (such a job is
   * dead-lettered at once: it would not become readable on a retry).
   */
  failed: [job: Job<T>, error: Error];
  /** A failed job was put back, to run again after `delayMs`. */
  retrying: [job: Job<T>, error: Error, delayMs: number];
  /**
   * A job used all its tries and moved to the dead-letter stream: after a failed try, or
   * when it stalled on its last try (then `error` says so).
   */
  deadLettered: [job: Job<T>, error: Error];
  /** Jobs that another worker fetched and never acknowledged were taken over by this one, and run now. */
  stalled: [jobs: Job<T>[]];
  /**
   * Trouble the worker absorbs and keeps going after: Redis failing a fetch, an ack (retried),
   * a failure record, a maintenance step, or a listener that threw. Emitted only when listened
   * to, so an unhandled `error` never crashes the process.
   */
  error: [error: Error];
}

/** What {@link Worker.close} left behind. */
export interface CloseResult {
  /** Jobs still running or unacknowledged at the deadline; other workers reclaim them later. */
  abandoned: number;
}

type Launch = <T>(queue: WorkerQueue, handler: JobHandler<T>, options: WorkerOptions | undefined) => Promise<Worker<T>>;
let launch: Launch;

/**
 * Starts a worker (its options validated first) on `queue`: what `StreamQueue.process` calls.
 * Not part of the public API: the Worker constructor is private so that the queue interface
 * it takes stays out of the type declarations.
 */
export function startWorker<T>(queue: WorkerQueue, handler: JobHandler<T>, options: WorkerOptions | undefined): Promise<Worker<T>> {
  return launch(queue, handler, options);
}

/**
 * Runs the jobs of a `StreamQueue`: batch reads with `XREADGROUP BLOCK` on a connection of
 * its own, up to `concurrency` handlers at once, acknowledgements batched into one script
 * call, retries with backoff, dead letters, and in the background the promotion of delayed
 * jobs, a heartbeat for long jobs and the reclaim of jobs left by dead workers. Create it with
 * `StreamQueue.process`; listen to its {@link WorkerEvents}.
 */
export class Worker<T = unknown> extends EventEmitter<WorkerEvents<T>> {
  static {
    launch = async <T>(queue: WorkerQueue, handler: JobHandler<T>, options: WorkerOptions | undefined) => {
      const worker = new Worker<T>(queue, handler, options);
      await worker.start();
      return worker;
    };
  }

  /** This worker's consumer name in the group. */
  readonly consumer: string;
  private readonly options: ResolvedWorkerOptions;
  private readonly telemetry: TelemetryAttributes;
  // Entry ids of the jobs whose handler (or failure record) runs now.
  private readonly active = new Set<string>();
  private readonly acks: AckBatcher<T>;
  private readonly maintenance: Maintenance;
  // Aborted when close() begins: no more fetching, no more maintenance.
  private readonly stopping = new AbortController();
  // Aborted when close() gives up waiting: handlers see it, outcomes are no longer recorded.
  private readonly abandoning = new AbortController();
  private reader: JobReader | undefined;
  private fetching: Promise<void> | undefined;
  private closed: Promise<CloseResult> | undefined;
  private waiters: (() => void)[] = [];
  // Paused by this worker's pause(), or the whole queue paused (flag, control channel).
  private pausedHere = false;
  // Stryker disable next-line BooleanLiteral: equivalent, start() sets it from the flag (or a control message did) before anything reads it
  private queuePaused = false;
  // Pause and resume messages so far: a reading of the flag sent before the latest one is stale.
  private controlMessages = 0;
  // Job ids that reported progress and entries taken over from a dead worker: their ack forgets them.
  private readonly progressed = new Set<string>();
  private readonly takenOver = new Set<string>();

  private constructor(
    private readonly queue: WorkerQueue,
    private readonly handler: JobHandler<T>,
    options: WorkerOptions | undefined,
  ) {
    super();
    if (typeof handler !== 'function') throw new ValidationError('handler', 'must be a function');
    this.options = resolveOptions(options);
    this.consumer = this.options.consumer;
    this.telemetry = { queue: queue.name };
    this.acks = new AckBatcher<T>(queue, {
      acked: (batch) => this.completed(batch),
      failed: (err) => this.report(err),
      changed: () => this.notify(),
    });
    this.maintenance = new Maintenance(
      queue,
      {
        consumer: this.consumer,
        // A paused worker takes over no stalled job either: it would start one while paused.
        freeSlots: () => (this.stopping.signal.aborted || this.isPaused ? 0 : this.options.concurrency - this.active.size),
        isOwn: (entryId) => this.isOwn(entryId),
        stalled: (entries) => this.takeOver(entries),
        deadLettered: (entries) => this.stalledToDeath(entries),
        failed: (err) => this.report(err),
        pauseReading: () => this.pauseReading(),
      },
      this.options,
    );
  }

  /** Jobs whose handler runs now. */
  get running(): number {
    return this.active.size;
  }

  /** Whether this worker fetches nothing now: paused itself, or its queue is paused. */
  get isPaused(): boolean {
    return this.pausedHere || this.queuePaused;
  }

  /**
   * Stops this worker fetching (other workers go on): a blocking read in flight is ended at
   * once; running jobs finish. Resolves once no read is in flight.
   */
  async pause(): Promise<void> {
    this.pausedHere = true;
    // Stryker disable next-line OptionalChaining: equivalent, the reader is set in start() before process() hands the worker out
    await this.reader?.interrupt();
  }

  /** Lets this worker fetch again after {@link pause} (the queue's own pause still applies). */
  resume(): void {
    this.pausedHere = false;
    this.notify();
  }

  /**
   * Stops fetching, lets running jobs finish (and acknowledges them) for up to `timeoutMs`,
   * then leaves the consumer group and closes its connection. Jobs still running at the
   * deadline get their signal aborted and stay pending, so another worker reclaims them:
   * nothing is lost. Calling it again returns the same promise. Default `timeoutMs`: the
   * worker's `closeTimeoutMs`.
   */
  close(timeoutMs: number = this.options.closeTimeoutMs): Promise<CloseResult> {
    if (!this.closed) {
      try {
        assertNonNegative('timeoutMs', timeoutMs);
      } catch (err) {
        return Promise.reject(err);
      }
      this.closed = this.shutdown(timeoutMs);
    }
    return this.closed;
  }

  private async start(): Promise<void> {
    await this.queue.ensureGroup();
    const reader = await this.queue.openReader(this.consumer);
    this.reader = reader;
    try {
      await reader.listen((message) => this.control(message));
      const messages = this.controlMessages;
      const paused = await this.queue.isPaused();
      if (messages === this.controlMessages) this.queuePaused = paused;
    } catch (err) {
      await reader.close();
      throw err;
    }
    this.fetching = this.fetch(reader);
    this.maintenance.start();
  }

  // A message of the queue's control channel.
  private control(message: string): void {
    if (message === 'pause' || message === 'resume') {
      // Stryker disable next-line UpdateOperator: equivalent, the count is only compared for equality with an earlier reading: counting down changes it too
      this.controlMessages++;
      this.setQueuePaused(message === 'pause');
    } else if (message === 'due') this.maintenance.wake();
  }

  /**
   * To call with the pause flag read by a command sent now. The reply and a control message come
   * on different connections, so a `resume` published after the read can arrive before it; a
   * reading older than the latest message is dropped.
   */
  private pauseReading(): (paused: boolean) => void {
    const messages = this.controlMessages;
    return (paused) => {
      if (messages === this.controlMessages) this.setQueuePaused(paused);
    };
  }

  private setQueuePaused(paused: boolean): void {
    if (paused === this.queuePaused) return;
    this.queuePaused = paused;
    // Stryker disable next-line OptionalChaining: equivalent, start() sets the reader before the control channel or a maintenance pass can get here
    if (paused) void this.reader?.interrupt().catch((err: unknown) => this.report(err));
    else this.notify();
  }

  private async shutdown(timeoutMs: number): Promise<CloseResult> {
    this.stopping.abort();
    this.maintenance.stop();
    this.notify();
    // A blocking read in flight is ended now (CLIENT UNBLOCK); whatever it delivered runs too.
    // Stryker disable next-line OptionalChaining: equivalent, a worker reaches its user only once start() set its reader
    await this.reader?.interrupt(true).catch((err: unknown) => this.report(err));
    await this.fetching;
    if (!this.idle() && timeoutMs > 0) {
      // Stryker disable next-line ArrowFunction,StringLiteral: equivalent, the time limit's error is dropped by the catch on this line
      await timeLimit(this.drained(), timeoutMs, () => new Error('close timed out')).catch(() => {});
    }
    const abandoned = this.active.size + this.acks.backlog;
    if (abandoned > 0) {
      // From here on, outcomes are not recorded: those jobs stay pending for another worker.
      this.acks.abandon();
      this.abandoning.abort(new Error('worker closed before the job finished'));
      this.notify();
    } else {
      await this.queue.removeConsumer(this.consumer).catch((err: unknown) => this.report(err));
    }
    // Stryker disable next-line OptionalChaining: equivalent, a worker reaches its user only once start() set its reader
    await this.reader?.close();
    return { abandoned };
  }

  private async fetch(reader: JobReader): Promise<void> {
    const { concurrency, blockMs, visibilityTimeoutMs } = this.options;
    const { scripted, events } = this.queue.mode;
    const stop = this.stopping.signal;
    let failures = 0;
    while (!stop.aborted) {
      const free = concurrency - this.active.size;
      // Backpressure: no new jobs while all slots run, or acknowledgements fall behind; none while paused.
      if (free <= 0 || this.acks.backlog >= 2 * concurrency || this.isPaused) {
        await this.nextChange();
        continue;
      }
      // The queue-wide rate limit is full: fetching now would only send jobs back to wait.
      const throttled = this.queue.gate?.fullForMs() ?? 0;
      if (throttled > 0) {
        await sleep(throttled, stop).catch(() => {});
        continue;
      }
      let entries: StreamEntry[];
      try {
        if (!scripted) {
          entries = await reader.read(free, blockMs);
        } else {
          // Priorities or a queue-wide limit: a script decides, and says what to wait for when it gives nothing.
          const reading = this.pauseReading();
          const got = await this.queue.fetch(this.consumer, free, visibilityTimeoutMs);
          entries = got.entries;
          if (got.wait?.kind === 'paused') reading(true);
          else if (got.wait && !this.isPaused && !stop.aborted) await reader.wait(got.wait, blockMs);
        }
        failures = 0;
      } catch (err) {
        if (stop.aborted) break;
        this.report(err);
        await sleep(backoffDelay(++failures, { baseMs: 100, maxMs: 5000 }), stop).catch(() => {});
        continue;
      }
      // Published before the handlers start, so a listener sees `active` before their `progress`.
      if (events && entries.length > 0)
        await this.queue.emitActive(this.consumer, entries.map(jobIdOf)).catch((err: unknown) => this.report(err));
      for (const entry of entries) void this.run(entry);
    }
  }

  // Async, but everything before its first await runs at once: the entry counts as active from
  // the call on. One async function per job, no promise chained on it: this is the hot path.
  private async run(entry: StreamEntry): Promise<void> {
    // A reclaim can hand back an entry this worker still runs or acknowledges: it counts once.
    if (this.isOwn(entry.id)) return;
    this.active.add(entry.id);
    this.maintenance.track(entry.id);
    if (!instrument.enabled) return this.execute(entry, undefined);
    // From the entry's id (Redis time of the enqueue, or of the promotion of a delayed job) to now.
    const waitMs = Math.max(0, Date.now() - Number.parseInt(entry.id, 10));
    return instrument.trace(
      'process',
      this.telemetry,
      undefined,
      (context) => {
        if (context) context.measurements = { waitMs };
        return this.execute(entry, context);
      },
      carriedTrace(entry),
    );
  }

  private async execute(entry: StreamEntry, context: OperationContext | undefined): Promise<void> {
    try {
      let job: Job<T>;
      try {
        job = toJob<T>(this.queue.serializer, entry);
      } catch (err) {
        // Data that cannot be read will not become readable on a retry: one try, then dead.
        const unreadable: Job<T> = {
          id: jobIdOf(entry),
          name: entry.fields.name,
          data: undefined as T,
          attemptsMade: 0,
          maxAttempts: 1,
          entryId: entry.id,
        };
        const outcome = await this.fail(entry, unreadable, toError(err));
        if (context) context.outcome = outcome;
        return;
      }
      const gate = this.queue.gate;
      if (gate && !(await this.admitted(entry, job, gate))) {
        if (context) context.outcome = 'deferred';
        return;
      }
      const active = job as ActiveJob<T>;
      (active as { updateProgress: ActiveJob<T>['updateProgress'] }).updateProgress = (progress) => this.reportProgress(job.id, progress);
      let result: unknown;
      try {
        result = await this.handler(active, this.abandoning.signal);
      } catch (err) {
        if (!this.abandoning.signal.aborted) {
          const outcome = await this.fail(entry, job, toError(err));
          if (context) context.outcome = outcome;
        }
        return;
      }
      if (!this.abandoning.signal.aborted) {
        this.acks.add({ job, item: this.ackItem(entry, job, result), result });
        if (context) context.outcome = 'completed';
      }
    } finally {
      this.active.delete(entry.id);
      this.takenOver.delete(entry.id);
      // A completed job stays claimed (heartbeat) until its ack goes through: an ack Redis keeps
      // refusing must not let the entry go idle, to be reclaimed as stalled and dead-lettered.
      if (!this.acks.holds(entry.id)) this.maintenance.untrack(entry.id);
      this.notify();
    }
  }

  // What the ack call needs: the job forgotten when it was indexed, retried, taken over or
  // reported progress; its result and record when the queue publishes events or keeps jobs.
  private ackItem(entry: StreamEntry, job: Job<T>, result: unknown): AckItem {
    const progressed = this.progressed.delete(job.id);
    const indexed = job.id !== entry.id || progressed || this.takenOver.has(entry.id);
    let record: AckItem['record'];
    if (this.queue.mode.records) {
      const r = this.queue.serializeResult(result);
      const { fields } = entry;
      record = [job.id, r, JSON.stringify({ n: fields.name, d: fields.data, r, a: job.attemptsMade, m: job.maxAttempts })];
    }
    return { entryId: entry.id, forget: indexed ? job.id : undefined, record };
  }

  private async reportProgress(jobId: string, progress: unknown): Promise<void> {
    try {
      this.queue.serializer.serialize(progress);
    } catch (err) {
      throw new ValidationError('progress', (err as Error).message);
    }
    this.progressed.add(jobId);
    await instrument.trace('updateProgress', this.telemetry, undefined, () => this.queue.progress(jobId, progress));
  }

  // Takes the job's units of the queue's rate limits; when they are full, sends it back to wait
  // (no try used) and resolves false. A check Redis could not answer defers it briefly.
  private async admitted(entry: StreamEntry, job: Job<T>, gate: NonNullable<WorkerQueue['gate']>): Promise<boolean> {
    let waitMs: number;
    try {
      waitMs = await gate.admit(job.group, (entry.fields.deferred ?? 0) > 0);
    } catch (err) {
      this.report(err);
      waitMs = 1000;
    }
    if (waitMs <= 0) return true;
    try {
      await this.queue.fail(this.consumer, entry, {
        jobId: job.id,
        attemptsMade: job.attemptsMade,
        outcome: 'defer',
        delayMs: waitMs,
        error: undefined,
      });
      this.maintenance.wake(waitMs);
    } catch (err) {
      // The entry stays pending: it is reclaimed after the visibility timeout.
      this.report(err);
    }
    return false;
  }

  // What happened to the job: `retrying`, `dead-lettered`, or `failed` when the outcome could not be recorded.
  private async fail(entry: StreamEntry, job: Job<T>, error: Error): Promise<'retrying' | 'dead-lettered' | 'failed'> {
    const attemptsMade = job.attemptsMade + 1;
    const dead = attemptsMade >= job.maxAttempts;
    const delayMs = dead ? 0 : backoffDelay(attemptsMade, this.options.backoff);
    this.fire('failed', job, error);
    let recorded: boolean;
    try {
      recorded = await this.queue.fail(this.consumer, entry, {
        jobId: job.id,
        attemptsMade,
        outcome: dead ? 'dead' : 'retry',
        delayMs,
        error,
      });
      this.progressed.delete(job.id);
      // This worker promotes the retry on time (others learn of it at their next pass).
      if (recorded && !dead && delayMs > 0) this.maintenance.wake(delayMs);
    } catch (err) {
      // The entry stays pending: it is reclaimed after the visibility timeout and counts as a used try.
      this.report(err);
      return 'failed';
    }
    // Not recorded: another worker reclaimed the entry meanwhile and owns the outcome now.
    if (!recorded) return 'failed';
    if (dead) this.fire('deadLettered', job, error);
    else this.fire('retrying', job, error, delayMs);
    return dead ? 'dead-lettered' : 'retrying';
  }

  private completed(batch: readonly Completed<T>[]): void {
    for (const d of batch) {
      this.maintenance.untrack(d.job.entryId);
      this.fire('completed', d.job, d.result);
    }
  }

  private takeOver(entries: readonly StreamEntry[]): void {
    const serializer = this.queue.serializer;
    for (const entry of entries) this.takenOver.add(entry.id);
    this.fire(
      'stalled',
      entries.map((e) => tryToJob<T>(serializer, e)).filter((j) => j !== undefined),
    );
    for (const entry of entries) void this.run(entry);
  }

  private stalledToDeath(entries: readonly StreamEntry[]): void {
    for (const entry of entries) {
      const job = tryToJob<T>(this.queue.serializer, entry);
      if (job) this.fire('deadLettered', job, new Error(entry.fields.error));
    }
  }

  private isOwn(entryId: string): boolean {
    return this.active.has(entryId) || this.acks.holds(entryId);
  }

  private idle(): boolean {
    return this.active.size === 0 && this.acks.idle;
  }

  // Resolves once no job runs and no acknowledgement is pending (or close gave up).
  private async drained(): Promise<void> {
    while (!this.idle() && !this.abandoning.signal.aborted) await this.nextChange();
  }

  private notify(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  // A throwing listener must not break the worker (or ack a batch twice): it becomes an `error` event.
  private fire<K extends Exclude<keyof WorkerEvents<T>, 'error'>>(event: K, ...args: WorkerEvents<T>[K]): void {
    try {
      (this.emit as (e: K, ...a: WorkerEvents<T>[K]) => boolean)(event, ...args);
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', toError(err));
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

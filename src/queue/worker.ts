import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { type BackoffOptions, backoffDelay, sleep } from '../core/async.js';
import type { RedisConnection } from '../core/connection.js';
import { RedisCommandError, ValidationError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import { assertInRange, assertKeyPart, assertNonNegative, assertPositive, assertPositiveInteger } from '../core/validation.js';
import { fromFieldList, type Job, type JobFields, type RawEntry, toFieldList, toJob } from './job.js';
import { ackScript, failScript, promoteScript, reclaimScript } from './scripts.js';
import type { StreamQueue } from './stream-queue.js';

/** Runs one job. Resolve to complete it, throw (or reject) to fail this try. `signal` aborts when `close()` gives up waiting. */
export type JobHandler<T> = (job: Job<T>, signal: AbortSignal) => unknown;

/** Options of a {@link Worker}. */
export interface WorkerOptions {
  /** Jobs run at once (1 to 1000). Default `1`. */
  concurrency?: number;
  /** Consumer name in the group; unique per worker. Default `<host>-<pid>-<random>`. */
  consumer?: string;
  /** Longest wait of one `XREADGROUP BLOCK` when the queue is empty, in ms. Default `1000`. */
  blockMs?: number;
  /**
   * A job fetched by a worker and not acknowledged for this long (ms) is taken over by
   * another worker: its worker is presumed dead. Running jobs of a live worker are kept
   * claimed by a heartbeat, so this need not exceed your longest job. Default `30000`.
   */
  visibilityTimeoutMs?: number;
  /** Delay before retry n: `baseMs * 2^(n-1)`, capped at `maxMs`, jittered. Default `{ baseMs: 1000, maxMs: 60000, jitter: 0.5 }`. */
  backoff?: Partial<BackoffOptions>;
  /** How often (ms) the worker moves due delayed jobs into the stream, at most. Default `500`. */
  promoteIntervalMs?: number;
  /** How long `close()` waits for running jobs by default, in ms. Default `10000`. */
  closeTimeoutMs?: number;
}

/** Events of a {@link Worker} and their arguments. */
export interface WorkerEvents<T> {
  /** A job succeeded and was acknowledged. */
  completed: [job: Job<T>, result: unknown];
  /** A try of a job failed (emitted before `retrying` or `dead-lettered`). */
  failed: [job: Job<T>, error: Error];
  /** A failed job was put back, to run again after `delayMs`. */
  retrying: [job: Job<T>, error: Error, delayMs: number];
  /** A job used all its tries and moved to the dead-letter stream. */
  'dead-lettered': [job: Job<T>, error: Error];
  /** Jobs of a dead worker were taken over by this one. */
  stalled: [jobs: Job<T>[]];
  /** Redis trouble in the background loop (the worker keeps going). Emitted only when listened to. */
  error: [error: Error];
}

/** What {@link Worker.close} left behind. */
export interface CloseResult {
  /** Jobs still running or unacknowledged at the deadline; other workers reclaim them later. */
  abandoned: number;
}

// Lua's unpack() takes at most ~8000 values: ack at most this many entries per call.
const MAX_ACK_BATCH = 2000;

interface Done<T> {
  job: Job<T>;
  customId: string | undefined;
  result: unknown;
}

/**
 * Runs the jobs of a {@link StreamQueue}: batch reads with `XREADGROUP BLOCK` on its own
 * connection, up to `concurrency` handlers at once, acknowledgements batched into one
 * script call, retries with backoff, dead letters, delayed-job promotion and reclaim of
 * jobs left by dead workers. Create it with {@link StreamQueue.process}.
 */
export class Worker<T = unknown> extends EventEmitter<WorkerEvents<T>> {
  /** This worker's consumer name. */
  readonly consumer: string;
  private readonly concurrency: number;
  private readonly blockMs: number;
  private readonly visibilityTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly promoteIntervalMs: number;
  private readonly closeTimeoutMs: number;
  private readonly connection: RedisConnection;
  private blocking: RedisConnection | undefined;
  // Entry id -> start time of every job whose handler runs now.
  private readonly active = new Map<string, number>();
  private done: Done<T>[] = [];
  // Entry ids of jobs that finished and wait for (or are in) an ack call.
  private readonly finishing = new Set<string>();
  private acking = 0;
  private flushing: Promise<void> | undefined;
  private flushScheduled = false;
  private ackFailures = 0;
  private waiters: (() => void)[] = [];
  private closing = false;
  private gaveUp = false;
  private closed: Promise<CloseResult> | undefined;
  private loopDone: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastReclaim = 0;
  private reclaimCursor = '0-0';
  private readonly abort = new AbortController();

  constructor(
    private readonly queue: StreamQueue<T>,
    private readonly handler: JobHandler<T>,
    options: WorkerOptions = {},
  ) {
    super();
    if (typeof handler !== 'function') throw new ValidationError('handler', 'must be a function');
    this.concurrency = options.concurrency ?? 1;
    assertPositiveInteger('concurrency', this.concurrency);
    assertInRange('concurrency', this.concurrency, 1, 1000);
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomId(4)}`;
    assertKeyPart('consumer', this.consumer);
    this.blockMs = options.blockMs ?? 1000;
    assertPositive('blockMs', this.blockMs);
    this.visibilityTimeoutMs = options.visibilityTimeoutMs ?? 30_000;
    assertPositive('visibilityTimeoutMs', this.visibilityTimeoutMs);
    this.backoff = { baseMs: 1000, maxMs: 60_000, jitter: 0.5, ...options.backoff };
    assertNonNegative('backoff.baseMs', this.backoff.baseMs);
    assertInRange('backoff.jitter', this.backoff.jitter, 0, 1);
    this.promoteIntervalMs = options.promoteIntervalMs ?? 500;
    assertPositive('promoteIntervalMs', this.promoteIntervalMs);
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    assertNonNegative('closeTimeoutMs', this.closeTimeoutMs);
    this.connection = queue.connection;
  }

  /** Jobs whose handler runs now. */
  get running(): number {
    return this.active.size;
  }

  /** Joins the group (creating it if needed), opens the blocking connection and starts fetching. Called by `process`. */
  async start(): Promise<void> {
    if (this.blocking) return;
    await this.queue.ensureGroup();
    this.blocking = await this.connection.duplicate();
    this.loopDone = this.loop();
    void this.maintain();
  }

  /**
   * Stops fetching, lets running jobs finish (and acknowledges them) for up to
   * `timeoutMs`, then leaves the group. Jobs still running at the deadline get their
   * signal aborted and stay pending, so another worker reclaims them: nothing is lost.
   */
  close(timeoutMs = this.closeTimeoutMs): Promise<CloseResult> {
    this.closed ??= this.shutdown(timeoutMs);
    return this.closed;
  }

  private async shutdown(timeoutMs: number): Promise<CloseResult> {
    this.closing = true;
    clearTimeout(this.timer);
    this.notify();
    // The blocking read ends by itself within blockMs; whatever it delivered runs too.
    await this.loopDone;
    const deadline = AbortSignal.timeout(timeoutMs);
    const expired = new Promise((r) => deadline.addEventListener('abort', r, { once: true }));
    while (!deadline.aborted && (this.active.size > 0 || this.done.length > 0 || this.flushing || this.flushScheduled)) {
      await Promise.race([this.nextChange(), expired]);
    }
    const abandoned = this.active.size + this.done.length + this.acking;
    if (abandoned > 0) {
      // From here on, outcomes are not recorded: those jobs stay pending for another worker.
      this.gaveUp = true;
      this.abort.abort(new Error('worker closed before the job finished'));
    } else await this.queue.removeConsumers(0, this.consumer).catch((err) => this.emitError(err));
    await this.blocking?.close();
    return { abandoned };
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.closing) {
      const free = this.concurrency - this.active.size;
      if (free <= 0 || this.done.length + this.acking >= 2 * this.concurrency) {
        await this.nextChange();
        continue;
      }
      let entries: RawEntry[];
      try {
        entries = await this.read(free);
        failures = 0;
      } catch (err) {
        if (this.closing) break;
        this.emitError(err);
        // The stream (and with it the group) was deleted: make them again.
        if (err instanceof RedisCommandError && err.message.includes('NOGROUP')) await this.queue.ensureGroup().catch(() => {});
        await sleep(backoffDelay(++failures, { baseMs: 100, maxMs: 5000 }));
        continue;
      }
      for (const [entryId, list] of entries) this.run(String(entryId), list);
    }
  }

  private async read(count: number): Promise<RawEntry[]> {
    const { stream } = this.queue.keys;
    const timeout = this.connection.commandTimeoutMs === 0 ? 0 : this.blockMs + this.connection.commandTimeoutMs;
    const reply = (await (this.blocking as RedisConnection).send(
      ['XREADGROUP', 'GROUP', this.queue.group, this.consumer, 'COUNT', count, 'BLOCK', Math.ceil(this.blockMs), 'STREAMS', stream, '>'],
      stream,
      { timeoutMs: timeout },
    )) as [string, RawEntry[]][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  private run(entryId: string, list: unknown[]): void {
    // A reclaim can hand back an entry this worker still runs or acknowledges: it counts once.
    if (this.isOwn(entryId)) return;
    const fields = fromFieldList(list);
    let job: Job<T>;
    try {
      job = toJob<T>(this.connection.serializer, entryId, fields);
    } catch (err) {
      // Data that cannot be read will not become readable on a retry.
      const broken = { id: entryId, name: fields.name, data: undefined as T, attemptsMade: 0, maxAttempts: 1, entryId };
      void this.fail(broken, fields, toError(err));
      return;
    }
    this.active.set(entryId, Date.now());
    void (async () => {
      try {
        const result = await this.handler(job, this.abort.signal);
        if (this.gaveUp) return;
        this.done.push({ job, customId: fields.customId, result });
        this.finishing.add(entryId);
        this.scheduleFlush();
      } catch (err) {
        if (!this.gaveUp) await this.fail(job, fields, toError(err));
      } finally {
        this.active.delete(entryId);
        this.notify();
      }
    })();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing || this.gaveUp) return;
    this.flushScheduled = true;
    // One tick later, so every job that completed in this tick shares the call.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        this.notify();
        if (this.done.length > 0) this.scheduleFlush();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.done.splice(0, MAX_ACK_BATCH);
    if (batch.length === 0) return;
    this.acking = batch.length;
    const entryIds = batch.map((d) => d.job.entryId);
    const customIds = batch.flatMap((d) => (d.customId === undefined ? [] : [d.customId]));
    try {
      await this.connection.run(
        ackScript,
        [this.queue.keys.stream, this.queue.keys.ids],
        [this.queue.group, entryIds.length, ...entryIds, ...customIds],
      );
    } catch (err) {
      this.acking = 0;
      // After close gave up they stay pending and are reclaimed; until then, try again.
      if (this.gaveUp) return;
      this.done.unshift(...batch);
      this.emitError(err);
      await sleep(backoffDelay(++this.ackFailures, { baseMs: 50, maxMs: 2000 }));
      return;
    }
    this.ackFailures = 0;
    this.acking = 0;
    for (const id of entryIds) this.finishing.delete(id);
    for (const d of batch) this.fire('completed', d.job, d.result);
  }

  private async fail(job: Job<T>, fields: JobFields, error: Error): Promise<void> {
    const made = job.attemptsMade + 1;
    const dead = made >= job.maxAttempts;
    const delay = dead ? 0 : backoffDelay(made, this.backoff);
    const next = toFieldList({
      name: fields.name,
      data: fields.data,
      maxAttempts: fields.maxAttempts,
      attemptsMade: made,
      customId: fields.customId,
      givenId: fields.customId === undefined ? job.id : undefined,
      error: dead ? error.message : undefined,
      stack: dead && error.stack ? error.stack.slice(0, 2000) : undefined,
    });
    this.fire('failed', job, error);
    const { stream, delayed, dead: deadKey } = this.queue.keys;
    try {
      const recorded = await this.connection.run(
        failScript,
        [stream, delayed, deadKey],
        [this.queue.group, this.consumer, job.entryId, dead ? 'dead' : 'retry', delay, this.queue.maxLen, ...next],
      );
      // 0: another worker reclaimed the entry meanwhile and owns the outcome now.
      if (Number(recorded) !== 1) return;
      if (dead) this.fire('dead-lettered', job, error);
      else this.fire('retrying', job, error, delay);
    } catch (err) {
      // The entry stays pending: it is reclaimed after the visibility timeout and counts as a used try.
      this.emitError(err);
    }
  }

  // Background work on the shared connection: promote due delayed jobs, keep long jobs
  // claimed, reclaim jobs of dead workers. Reschedules itself until close.
  private async maintain(): Promise<void> {
    if (this.closing) return;
    // Often enough for the heartbeat to beat the visibility timeout, too.
    let next = Math.min(this.promoteIntervalMs, this.visibilityTimeoutMs / 3);
    const { stream, delayed } = this.queue.keys;
    try {
      const [moved, nextDue] = (await this.connection.run(promoteScript, [stream, delayed], [1000, this.queue.maxLen])) as number[];
      if (Number(moved) >= 1000) next = 0;
      else if (Number(nextDue) >= 0) next = Math.min(next, Number(nextDue));
      await this.heartbeat();
      if (Date.now() - this.lastReclaim >= this.visibilityTimeoutMs / 2) {
        this.lastReclaim = Date.now();
        await this.reclaim();
      }
    } catch (err) {
      this.emitError(err);
    }
    if (this.closing) return;
    this.timer = setTimeout(() => void this.maintain(), next);
  }

  // Resets the idle time of jobs running for a third of the visibility timeout, so that
  // other workers do not take a slow job from a live worker. JUSTID keeps the delivery count.
  private async heartbeat(): Promise<void> {
    const third = Math.floor(this.visibilityTimeoutMs / 3);
    const old: string[] = [];
    const cutoff = Date.now() - third;
    for (const [entryId, started] of this.active) if (started <= cutoff) old.push(entryId);
    if (old.length === 0) return;
    const { stream } = this.queue.keys;
    await this.connection.send(['XCLAIM', stream, this.queue.group, this.consumer, third, ...old, 'JUSTID'], stream);
    const now = Date.now();
    for (const entryId of old) if (this.active.has(entryId)) this.active.set(entryId, now);
  }

  private async reclaim(): Promise<void> {
    const free = this.concurrency - this.active.size;
    if (free <= 0 || this.closing) return;
    const { stream, dead } = this.queue.keys;
    const [cursor, claimed, deadLettered] = (await this.connection.run(
      reclaimScript,
      [stream, dead],
      [this.queue.group, this.consumer, Math.floor(this.visibilityTimeoutMs), free, this.reclaimCursor],
    )) as [string, RawEntry[], RawEntry[]];
    this.reclaimCursor = String(cursor);
    const serializer = this.connection.serializer;
    for (const [entryId, list] of deadLettered) {
      const fields = fromFieldList(list);
      const job = tryToJob<T>(serializer, String(entryId), fields);
      if (job) this.fire('dead-lettered', job, new Error(fields.error));
    }
    const taken = claimed.filter(([id]) => !this.isOwn(String(id)));
    if (taken.length === 0) return;
    this.fire(
      'stalled',
      taken.map(([id, list]) => tryToJob<T>(serializer, String(id), fromFieldList(list))).filter((j) => j !== undefined),
    );
    for (const [entryId, list] of taken) this.run(String(entryId), list);
  }

  private isOwn(entryId: string): boolean {
    return this.active.has(entryId) || this.finishing.has(entryId);
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  // A throwing listener must not break the loop (or ack a batch twice): it becomes an 'error' event.
  private fire<K extends Exclude<keyof WorkerEvents<T>, 'error'>>(event: K, ...args: WorkerEvents<T>[K]): void {
    try {
      (this.emit as (e: K, ...a: WorkerEvents<T>[K]) => boolean)(event, ...args);
    } catch (err) {
      this.emitError(err);
    }
  }

  private emitError(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', toError(err));
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function tryToJob<T>(serializer: RedisConnection['serializer'], entryId: string, fields: JobFields): Job<T> | undefined {
  try {
    return toJob<T>(serializer, entryId, fields);
  } catch {
    return undefined;
  }
}

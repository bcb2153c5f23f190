import { sleep } from '../core/async.js';
import type { CallOptions, RedisConnection } from '../core/connection.js';
import { RedisCommandError } from '../core/errors.js';
import { publishFlag } from '../core/pubsub.js';
import type { Serializer } from '../core/serializer.js';
import { type DeadJob, list, type StreamEntry, toDeadJob, toEntries, toFieldList } from './job.js';
import { type JobInfo, toJobInfo } from './job-info.js';
import { controlChannel, keyList, type QueueKeys } from './keys.js';
import type { RateGate } from './rate-gate.js';
import { parseSpec, runAfter, runJobId } from './schedules.js';
import {
  ackScript,
  addScript,
  countsScript,
  dueSchedulesScript,
  emitScript,
  failScript,
  fetchScript,
  fireSchedulesScript,
  getJobScript,
  heartbeatScript,
  listDelayedScript,
  type Promoted,
  pauseScript,
  progressScript,
  promoteScript,
  type QueueCounts,
  type Reclaimed,
  reclaimScript,
  removeConsumersScript,
  removeScheduleScript,
  retryDeadScript,
  sweepScript,
  upsertScheduleScript,
} from './scripts.js';
import type { AckItem, Failure, FetchWait, JobReader, QueueMode, WorkerQueue } from './worker-queue.js';

/** One validated, serialized job for add.lua. */
export interface PreparedJob {
  /** Id reported back: the caller's job id, the id given to a delayed or prioritized job, or `''` (the entry id, once known). */
  id: string;
  /** The caller's job id, `''` when none (not deduplicated). */
  customId: string;
  /** Delay in ms from Redis time, `0` for none. */
  delayMs: number;
  /** The entry's field/value list. */
  fields: string[];
}

/** Settings of a queue that its scripts need, resolved by StreamQueue. */
export interface StoreSettings {
  group: string;
  maxLen: number;
  priorities: boolean;
  /** Queue-wide concurrency limit, `0` for none. */
  globalConcurrency: number;
  /** Events stream cap, `0` when events are off. */
  eventsMaxLen: number;
  /** Completed jobs kept, `0` when none. */
  keepCount: number;
  /** Longest time a completed job is kept, `0` for no age limit. */
  keepAgeMs: number;
  /** Dead-letter stream cap, `0` for none. */
  deadMaxLen: number;
}

// A stack is kept on a dead letter up to this length: enough to find the throw, small enough for a stream entry.
const MAX_STACK = 2000;
// Most due schedules one pass fires; when it fires this many, the next pass comes at once.
const SCHEDULE_BATCH = 200;
// Ids one sweep step looks at.
const SWEEP_COUNT = 200;

/**
 * Every Redis command of one stream queue: its keys, group, settings and the typed scripts.
 * `StreamQueue` uses it for its public operations and hands it to its workers as their
 * {@link WorkerQueue}. Not exported from the module.
 */
export class QueueStore implements WorkerQueue {
  readonly serializer: Serializer;
  readonly mode: QueueMode;
  readonly sweeps: boolean;
  readonly channel: string;
  private readonly trim: readonly (string | number)[];
  private readonly all: string[];
  private readonly prio: number;
  private readonly limited: number;

  constructor(
    private readonly connection: RedisConnection,
    readonly name: string,
    private readonly keys: QueueKeys,
    private readonly settings: StoreSettings,
    readonly gate: RateGate | undefined,
    /** Call options of the writes that add jobs: durability, when the queue asks for it. */
    private readonly adding?: CallOptions,
  ) {
    this.serializer = connection.serializer;
    this.trim = settings.maxLen ? ['MAXLEN', '~', settings.maxLen] : [];
    this.all = keyList(keys);
    this.prio = settings.priorities ? 1 : 0;
    this.limited = settings.globalConcurrency > 0 ? 1 : 0;
    this.sweeps = settings.maxLen > 0;
    this.channel = controlChannel(keys);
    this.mode = {
      scripted: settings.priorities || settings.globalConcurrency > 0,
      priorities: settings.priorities,
      records: settings.eventsMaxLen > 0 || settings.keepCount > 0,
      events: settings.eventsMaxLen > 0,
    };
  }

  /** Appends one job to the stream (`XADD`); resolves its entry id. */
  async append(fields: readonly string[]): Promise<string> {
    const { stream } = this.keys;
    return String(await this.connection.send(['XADD', stream, ...this.trim, '*', ...fields], stream, this.adding));
  }

  /** Adds jobs in one script call; per job: entry id, `'delayed'`, `'p'` or `''` (id taken). */
  async enqueue(jobs: readonly PreparedJob[]): Promise<string[]> {
    const args: (string | number)[] = [];
    for (const j of jobs) args.push(j.customId, j.delayMs, j.fields.length, ...j.fields);
    const s = this.settings;
    const flag = await this.publishFlag();
    return this.connection.run(
      addScript,
      this.all,
      [s.maxLen, this.prio, s.eventsMaxLen, this.channel, flag, jobs.length, ...args],
      this.adding,
    );
  }

  async ensureGroup(): Promise<void> {
    const { stream } = this.keys;
    try {
      await this.connection.send(['XGROUP', 'CREATE', stream, this.settings.group, '0', 'MKSTREAM'], stream);
    } catch (err) {
      if (!(err instanceof RedisCommandError && err.message.includes('BUSYGROUP'))) throw err;
    }
  }

  async counts(): Promise<QueueCounts> {
    const { waiting, pending, delayed, dead } = await this.countsAndLastEvent();
    return { waiting, pending, delayed, dead };
  }

  countsAndLastEvent(): Promise<QueueCounts & { lastEvent: string }> {
    return this.connection.run(countsScript, this.all, [this.settings.group]);
  }

  /** Up to `count` entries of the dead-letter stream after `after` (exclusive; `''`: from the oldest). */
  async deadLetters(count: number, after = ''): Promise<StreamEntry[]> {
    const { dead } = this.keys;
    const start = after === '' ? '-' : `(${after}`;
    return toEntries(await this.connection.send(['XRANGE', dead, start, '+', 'COUNT', count], dead), 'XRANGE');
  }

  deadJob<T>(entry: StreamEntry): DeadJob<T> {
    return toDeadJob<T>(this.serializer, entry);
  }

  listDelayed(offset: number, count: number) {
    return this.connection.run(listDelayedScript, this.all, [offset, count]);
  }

  async getJob<T>(id: string): Promise<JobInfo<T> | undefined> {
    return toJobInfo<T>(this.serializer, id, await this.connection.run(getJobScript, this.all, [this.settings.group, id]));
  }

  /** Jobs fetched and not acknowledged, per consumer (`XPENDING` summary). */
  async activeByConsumer(): Promise<Record<string, number>> {
    const { stream } = this.keys;
    let reply: unknown;
    try {
      reply = await this.connection.send(['XPENDING', stream, this.settings.group], stream);
    } catch (err) {
      // No group yet: no worker ever started, nothing is active.
      if (err instanceof RedisCommandError && err.message.includes('NOGROUP')) return {};
      throw err;
    }
    const out: Record<string, number> = {};
    // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape XPENDING never gives
    const consumers = list(reply, 'XPENDING')[3];
    // Stryker disable next-line StringLiteral: equivalent, the labels only name a reply shape XPENDING never gives
    if (Array.isArray(consumers)) for (const c of consumers) out[String(list(c, 'XPENDING')[0])] = Number(list(c, 'XPENDING')[1]);
    return out;
  }

  retryDead(count: number): Promise<number> {
    return this.connection.run(retryDeadScript, this.all, [count, this.settings.maxLen, this.prio]);
  }

  /** Deletes consumers without pending entries idle for `minIdleMs` (only `only`, unless `''`); resolves their names. */
  removeConsumers(minIdleMs: number, only: string): Promise<string[]> {
    return this.connection.run(removeConsumersScript, [this.keys.stream], [this.settings.group, Math.floor(minIdleMs), only]);
  }

  async removeConsumer(consumer: string): Promise<void> {
    await this.removeConsumers(0, consumer);
  }

  async pause(action: 'pause' | 'resume'): Promise<boolean> {
    const flag = this.flag ?? (await this.publishFlag());
    return this.connection.run(pauseScript, this.all, [action, this.channel, this.settings.eventsMaxLen, flag]);
  }

  // Decided once per connection: after the first add no await is spent on it.
  private flag: '1' | '0' | undefined;

  /** How the scripts announce on the control channel: as workers listen (sharded on a cluster that has it). */
  private async publishFlag(): Promise<'1' | '0'> {
    this.flag = publishFlag(await this.connection.shardedPubSub());
    return this.flag;
  }

  async isPaused(): Promise<boolean> {
    const { paused } = this.keys;
    return Number(await this.connection.send(['EXISTS', paused], paused)) === 1;
  }

  upsertSchedule(id: string, spec: string, firstRunMs: number): Promise<boolean> {
    return this.connection.run(upsertScheduleScript, this.all, [id, spec, firstRunMs]);
  }

  removeSchedule(id: string): Promise<boolean> {
    return this.connection.run(removeScheduleScript, this.all, [id]);
  }

  /** Every schedule: id → [spec, next run]. */
  async schedules(): Promise<Map<string, [string, number | undefined]>> {
    const { schedules, scheduleDue } = this.keys;
    const [specs, due] = await this.connection.pipeline(
      [
        ['HGETALL', schedules],
        ['ZRANGE', scheduleDue, 0, -1, 'WITHSCORES'],
      ],
      { routeKey: schedules, atomic: true },
    );
    const out = new Map<string, [string, number | undefined]>();
    const flat = toFlat(specs);
    for (let i = 0; i + 1 < flat.length; i += 2) out.set(String(flat[i]), [String(flat[i + 1]), undefined]);
    const times = toFlat(due);
    for (let i = 0; i + 1 < times.length; i += 2) {
      const row = out.get(String(times[i]));
      if (row) row[1] = Number(times[i + 1]);
    }
    return out;
  }

  async fireSchedules(): Promise<number | undefined> {
    const { now, nextInMs, due } = await this.connection.run(dueSchedulesScript, this.all, [SCHEDULE_BATCH]);
    if (due.length === 0) return nextInMs;
    const args: (string | number)[] = [];
    let count = 0;
    let soonest = nextInMs ?? Number.POSITIVE_INFINITY;
    for (const d of due) {
      const spec = parseSpec(d.spec);
      if (!spec) continue;
      const following = runAfter(spec, Number(d.due), now);
      soonest = Math.min(soonest, Math.max(0, following - now));
      const jobId = runJobId(d.id, d.due);
      const fields = [...spec.f, 'i', jobId];
      args.push(d.id, d.due, following, d.spec, jobId, fields.length, ...fields);
      count++;
    }
    const s = this.settings;
    if (count > 0) await this.connection.run(fireSchedulesScript, this.all, [s.maxLen, this.prio, s.eventsMaxLen, count, ...args]);
    // A full batch: more may be due now. Otherwise the next pass comes when the next one is due.
    return due.length >= SCHEDULE_BATCH ? 0 : Number.isFinite(soonest) ? soonest : undefined;
  }

  async sweep(cursor: string): Promise<string> {
    return (await this.connection.run(sweepScript, this.all, [cursor, SWEEP_COUNT])).cursor;
  }

  async openReader(consumer: string): Promise<JobReader> {
    const blocking = await this.connection.duplicate();
    const { stream, signal } = this.keys;
    // The id of the reader's connection on the node of the queue's slot, for CLIENT UNBLOCK: a
    // pipeline with a key of the queue runs there (on a cluster, each node has its own ids).
    let clientId: unknown;
    try {
      [, clientId] = await blocking.pipeline(
        [
          ['EXISTS', stream],
          ['CLIENT', 'ID'],
        ],
        { routeKey: stream },
      );
    } catch (err) {
      await blocking.close();
      throw err;
    }
    let blocked = false;
    const whileBlocked = async <R>(run: () => Promise<R>): Promise<R> => {
      blocked = true;
      try {
        return await run();
      } finally {
        blocked = false;
      }
    };
    return {
      read: (count, blockMs) => whileBlocked(() => this.read(blocking, consumer, count, blockMs)),
      wait: (wait, blockMs) =>
        whileBlocked(async () => {
          if (wait.kind === 'paused') return;
          const ms = Math.max(1, Math.ceil(wait.kind === 'full' ? Math.min(blockMs, wait.retryMs) : blockMs));
          const timeoutMs = blocking.commandTimeoutMs === 0 ? 0 : ms + blocking.commandTimeoutMs;
          // Under a full limit only a freed slot helps; with nothing ready, a new entry (FIFO
          // queues) or a signal (a prioritized job) does.
          const streams =
            wait.kind === 'full' || this.settings.priorities
              ? ['STREAMS', signal, wait.lastSignal]
              : ['STREAMS', stream, signal, wait.lastEntry, wait.lastSignal];
          await blocking.send(['XREAD', 'COUNT', 1, 'BLOCK', ms, ...streams], stream, { timeoutMs });
        }),
      interrupt: async (force = false) => {
        try {
          // The read may not have reached Redis yet when the unblock does: try again while it blocks.
          for (let i = 0; i < 20 && blocked; i++) {
            await this.connection.pipeline(
              [
                ['EXISTS', stream],
                ['CLIENT', 'UNBLOCK', String(clientId)],
              ],
              { routeKey: stream },
            );
            if (blocked) await sleep(10);
          }
        } catch (err) {
          // The shared connection is gone (closed before the worker): closing the reader's ends the read.
          if (!force) throw err;
          await blocking.close();
        }
      },
      listen: async (onMessage) => {
        // The reader's own pub/sub connection: closed with the reader, so a closed worker leaves
        // nothing open (the connection's shared subscriber would outlive it).
        const subscriber = await blocking.subscriber();
        await subscriber.subscribe(this.channel, (message) => onMessage(message));
      },
      close: () => blocking.close(),
    };
  }

  async fetch(consumer: string, count: number, leaseMs: number): Promise<{ entries: StreamEntry[]; wait?: FetchWait }> {
    const s = this.settings;
    const reply = await this.connection.run(fetchScript, this.all, [
      s.group,
      consumer,
      count,
      s.globalConcurrency,
      Math.ceil(leaseMs),
      this.prio,
    ]);
    if (reply.kind === 'ok') return { entries: reply.entries };
    return { entries: [], wait: reply };
  }

  async ack(items: readonly AckItem[]): Promise<void> {
    const entries: string[] = [];
    const forget: string[] = [];
    const records: string[] = [];
    let recordCount = 0;
    for (const item of items) {
      entries.push(item.entryId);
      if (item.forget !== undefined) forget.push(item.forget);
      if (item.record) {
        records.push(...item.record);
        recordCount++;
      }
    }
    const s = this.settings;
    await this.connection.run(ackScript, this.all, [
      s.group,
      this.limited,
      s.eventsMaxLen,
      s.keepCount,
      s.keepAgeMs,
      entries.length,
      ...entries,
      forget.length,
      ...forget,
      recordCount,
      ...records,
    ]);
  }

  serializeResult(result: unknown): string {
    if (result === undefined) return '';
    try {
      return this.serializer.serialize(result);
    } catch {
      return '';
    }
  }

  async emitActive(consumer: string, jobIds: readonly string[]): Promise<void> {
    await this.connection.run(emitScript, this.all, [this.settings.eventsMaxLen, 'active', consumer, ...jobIds]);
  }

  async progress(jobId: string, progress: unknown): Promise<void> {
    await this.connection.run(progressScript, this.all, [jobId, this.serializer.serialize(progress), this.settings.eventsMaxLen]);
  }

  fail(consumer: string, entry: StreamEntry, failure: Failure): Promise<boolean> {
    const { fields } = entry;
    const { outcome, error } = failure;
    const dead = outcome === 'dead';
    const next = toFieldList({
      ...fields,
      attemptsMade: failure.attemptsMade,
      // The next try is a new entry: a job without a caller's id keeps the one it has now.
      givenId: fields.customId === undefined ? failure.jobId : undefined,
      // The last error stays with the job (getJob shows it); the stack only on a dead letter.
      error: error ? error.message : fields.error,
      // Stryker disable next-line OptionalChaining: equivalent, error is missing only on a defer, where dead is false
      stack: dead && error?.stack ? error.stack.slice(0, MAX_STACK) : undefined,
      deferred: outcome === 'defer' ? (fields.deferred ?? 0) + 1 : fields.deferred,
    });
    const s = this.settings;
    return this.connection.run(failScript, this.all, [
      s.group,
      consumer,
      entry.id,
      outcome,
      failure.delayMs,
      s.maxLen,
      this.prio,
      this.limited,
      s.eventsMaxLen,
      s.deadMaxLen,
      failure.jobId,
      // Stryker disable next-line StringLiteral: equivalent, fail.lua reads the message only when the outcome is not defer, the one outcome without an error
      error ? error.message : '',
      ...next,
    ]);
  }

  promote(limit: number): Promise<Promoted> {
    return this.connection.run(promoteScript, this.all, [limit, this.settings.maxLen, this.prio]);
  }

  keepClaimed(consumer: string, entryIds: readonly string[], intervalMs: number): Promise<string[]> {
    // Under a queue-wide limit the leases last three heartbeats, like the claim itself.
    const leaseMs = this.limited === 0 ? 0 : Math.ceil(intervalMs * 3);
    return this.connection.run(heartbeatScript, this.all, [this.settings.group, consumer, leaseMs, ...entryIds]);
  }

  reclaim(consumer: string, minIdleMs: number, count: number, cursor: string): Promise<Reclaimed> {
    const s = this.settings;
    return this.connection.run(reclaimScript, this.all, [
      s.group,
      consumer,
      Math.floor(minIdleMs),
      count,
      cursor,
      s.globalConcurrency,
      Math.ceil(minIdleMs),
      s.deadMaxLen,
      s.eventsMaxLen,
    ]);
  }

  private async read(blocking: RedisConnection, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const { stream } = this.keys;
    const block = Math.ceil(blockMs);
    // The server answers within `block`; the reply's own time limit comes on top of it.
    const timeoutMs = blocking.commandTimeoutMs === 0 ? 0 : block + blocking.commandTimeoutMs;
    let reply: unknown;
    try {
      reply = await blocking.send(
        ['XREADGROUP', 'GROUP', this.settings.group, consumer, 'COUNT', count, 'BLOCK', block, 'STREAMS', stream, '>'],
        stream,
        { timeoutMs },
      );
    } catch (err) {
      // The stream (and with it the group) was deleted: make them again for the next read.
      if (err instanceof RedisCommandError && err.message.includes('NOGROUP')) await this.ensureGroup().catch(() => {});
      throw err;
    }
    if (reply === null) return [];
    // One stream was read: [[stream, entries]].
    // Stryker disable next-line StringLiteral: equivalent, the label only names a reply shape XREADGROUP never gives
    const [streamReply] = list(reply, 'XREADGROUP');
    // Stryker disable next-line StringLiteral,ArrayDeclaration: equivalent, a read of one stream replies nil or that stream, never an empty list; the labels name shapes it never gives
    return streamReply === undefined ? [] : toEntries(list(streamReply, 'XREADGROUP')[1], 'XREADGROUP');
  }
}

// HGETALL / WITHSCORES replies: a flat list (RESP2) or, from node-redis, sometimes a map.
function toFlat(reply: unknown): unknown[] {
  if (Array.isArray(reply)) return reply;
  if (reply && typeof reply === 'object') return Object.entries(reply).flat();
  // Stryker disable next-line ArrayDeclaration: equivalent, HGETALL and ZRANGE reply a list or a map, so this line is never reached
  return [];
}

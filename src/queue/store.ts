import type { CallOptions, RedisConnection } from '../core/connection.js';
import { RedisCommandError } from '../core/errors.js';
import type { Serializer } from '../core/serializer.js';
import { list, type StreamEntry, toEntries, toFieldList } from './job.js';
import type { QueueKeys } from './keys.js';
import {
  ackScript,
  addScript,
  countsScript,
  failScript,
  type Promoted,
  promoteScript,
  type QueueCounts,
  type Reclaimed,
  reclaimScript,
  removeConsumersScript,
  retryDeadScript,
} from './scripts.js';
import type { Failure, JobReader, WorkerQueue } from './worker-queue.js';

/** One validated, serialized job for add.lua. */
export interface PreparedJob {
  /** Id reported back: the caller's job id, the id given to a delayed job, or `''` (the entry id, once known). */
  id: string;
  /** The caller's job id, `''` when none (not deduplicated). */
  customId: string;
  /** Delay in ms from Redis time, `0` for none. */
  delayMs: number;
  /** The entry's field/value list. */
  fields: string[];
}

// A stack is kept on a dead letter up to this length: enough to find the throw, small enough for a stream entry.
const MAX_STACK = 2000;

/**
 * Every Redis command of one stream queue: its keys, group and trim, and the typed scripts.
 * `StreamQueue` uses it for its public operations and hands it to its workers as their
 * {@link WorkerQueue}. Not exported from the module.
 */
export class QueueStore implements WorkerQueue {
  readonly serializer: Serializer;
  private readonly trim: readonly (string | number)[];

  constructor(
    private readonly connection: RedisConnection,
    readonly name: string,
    private readonly keys: QueueKeys,
    private readonly group: string,
    private readonly maxLen: number,
    /** Call options of the writes that add jobs: durability, when the queue asks for it. */
    private readonly adding?: CallOptions,
  ) {
    this.serializer = connection.serializer;
    this.trim = maxLen ? ['MAXLEN', '~', maxLen] : [];
  }

  /** Appends one job to the stream (`XADD`); resolves its entry id. */
  async append(fields: readonly string[]): Promise<string> {
    const { stream } = this.keys;
    return String(await this.connection.send(['XADD', stream, ...this.trim, '*', ...fields], stream, this.adding));
  }

  /** Adds jobs with dedup and delays in one script call; per job: entry id, `'delayed'` or `''` (id taken). */
  enqueue(jobs: readonly PreparedJob[]): Promise<string[]> {
    const args: (string | number)[] = [];
    for (const j of jobs) args.push(j.customId, j.delayMs, j.fields.length, ...j.fields);
    const { stream, delayed, ids } = this.keys;
    return this.connection.run(addScript, [stream, delayed, ids], [this.maxLen, jobs.length, ...args], this.adding);
  }

  async ensureGroup(): Promise<void> {
    const { stream } = this.keys;
    try {
      await this.connection.send(['XGROUP', 'CREATE', stream, this.group, '0', 'MKSTREAM'], stream);
    } catch (err) {
      if (!(err instanceof RedisCommandError && err.message.includes('BUSYGROUP'))) throw err;
    }
  }

  counts(): Promise<QueueCounts> {
    const { stream, delayed, dead } = this.keys;
    return this.connection.run(countsScript, [stream, delayed, dead], [this.group]);
  }

  /** The oldest `count` entries of the dead-letter stream. */
  async deadLetters(count: number): Promise<StreamEntry[]> {
    const { dead } = this.keys;
    return toEntries(await this.connection.send(['XRANGE', dead, '-', '+', 'COUNT', count], dead), 'XRANGE');
  }

  retryDead(count: number): Promise<number> {
    return this.connection.run(retryDeadScript, [this.keys.dead, this.keys.stream], [count, this.maxLen]);
  }

  /** Deletes consumers without pending entries idle for `minIdleMs` (only `only`, unless `''`); resolves their names. */
  removeConsumers(minIdleMs: number, only: string): Promise<string[]> {
    return this.connection.run(removeConsumersScript, [this.keys.stream], [this.group, Math.floor(minIdleMs), only]);
  }

  async removeConsumer(consumer: string): Promise<void> {
    await this.removeConsumers(0, consumer);
  }

  async openReader(consumer: string): Promise<JobReader> {
    const blocking = await this.connection.duplicate();
    return {
      read: (count, blockMs) => this.read(blocking, consumer, count, blockMs),
      close: () => blocking.close(),
    };
  }

  async ack(entryIds: readonly string[], jobIds: readonly string[]): Promise<void> {
    await this.connection.run(ackScript, [this.keys.stream, this.keys.ids], [this.group, entryIds.length, ...entryIds, ...jobIds]);
  }

  fail(consumer: string, entry: StreamEntry, failure: Failure): Promise<boolean> {
    const { fields } = entry;
    const { dead, error } = failure;
    const next = toFieldList({
      name: fields.name,
      data: fields.data,
      maxAttempts: fields.maxAttempts,
      attemptsMade: failure.attemptsMade,
      customId: fields.customId,
      // The next try is a new entry: a job without a caller's id keeps the one it has now.
      givenId: fields.customId === undefined ? failure.jobId : undefined,
      error: dead ? error.message : undefined,
      stack: dead && error.stack ? error.stack.slice(0, MAX_STACK) : undefined,
      // A retry stays in its producer's trace.
      trace: fields.trace,
    });
    const { stream, delayed, dead: deadKey } = this.keys;
    return this.connection.run(
      failScript,
      [stream, delayed, deadKey],
      [this.group, consumer, entry.id, dead ? 'dead' : 'retry', failure.delayMs, this.maxLen, ...next],
    );
  }

  promote(limit: number): Promise<Promoted> {
    return this.connection.run(promoteScript, [this.keys.stream, this.keys.delayed], [limit, this.maxLen]);
  }

  async keepClaimed(consumer: string, entryIds: readonly string[], minIdleMs: number): Promise<void> {
    const { stream } = this.keys;
    // JUSTID keeps the delivery count, which reclaim.lua reads as tries used.
    await this.connection.send(['XCLAIM', stream, this.group, consumer, Math.floor(minIdleMs), ...entryIds, 'JUSTID'], stream);
  }

  reclaim(consumer: string, minIdleMs: number, count: number, cursor: string): Promise<Reclaimed> {
    const { stream, dead } = this.keys;
    return this.connection.run(reclaimScript, [stream, dead], [this.group, consumer, Math.floor(minIdleMs), count, cursor]);
  }

  private async read(blocking: RedisConnection, consumer: string, count: number, blockMs: number): Promise<StreamEntry[]> {
    const { stream } = this.keys;
    const block = Math.ceil(blockMs);
    // The server answers within `block`; the reply's own time limit comes on top of it.
    const timeoutMs = blocking.commandTimeoutMs === 0 ? 0 : block + blocking.commandTimeoutMs;
    let reply: unknown;
    try {
      reply = await blocking.send(
        ['XREADGROUP', 'GROUP', this.group, consumer, 'COUNT', count, 'BLOCK', block, 'STREAMS', stream, '>'],
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
    const [streamReply] = list(reply, 'XREADGROUP');
    return streamReply === undefined ? [] : toEntries(list(streamReply, 'XREADGROUP')[1], 'XREADGROUP');
  }
}

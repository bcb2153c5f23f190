// A listener of a queue's events, in any process: reads the queue's capped events stream with
// XREAD BLOCK on a connection of its own, so events arrive without polling and none is lost
// while it is connected (after a disconnection it resumes from the last id it saw, as long as
// the cap has not dropped those events meanwhile).
import { EventEmitter } from 'node:events';
import { backoffDelay, sleep } from '../core/async.js';
import type { RedisConnection } from '../core/connection.js';
import type { Serializer } from '../core/serializer.js';
import { list } from './job.js';
import type { QueueKeys } from './keys.js';

/** What every queue event carries. */
export interface QueueEvent {
  /** The event's id in the events stream (`start(after)` resumes after it). */
  id: string;
}

/** An event about one job. */
export interface JobEvent extends QueueEvent {
  /** The job's id. */
  jobId: string;
}

/** A job was added. */
export interface AddedEvent extends JobEvent {
  /** The job's name. */
  name: string;
}

/** A worker took a job. */
export interface ActiveEvent extends JobEvent {
  /** The worker's consumer name. */
  consumer: string;
}

/** A job's handler reported progress. */
export interface ProgressEvent extends JobEvent {
  /** The progress it reported. */
  progress: unknown;
}

/** A job completed. */
export interface CompletedEvent extends JobEvent {
  /** What its handler returned (`undefined` when nothing, or what the serializer could not write). */
  returnValue: unknown;
}

/** A try of a job failed. */
export interface FailedEvent extends JobEvent {
  /** The error's message. */
  error: string;
  /** Tries used so far, this one included. */
  attemptsMade: number;
}

/** A failed job will run again. */
export interface RetryingEvent extends JobEvent {
  /** Its backoff before the next try, in ms. */
  delayMs: number;
}

/** A job used all its tries. */
export interface DeadLetteredEvent extends JobEvent {
  /** The last error's message. */
  error: string;
}

/** Events of a {@link QueueEvents} listener, as any process's producers and workers published them (with `events` on). */
export interface QueueEventMap {
  /** A job was added (or a schedule enqueued a run). */
  added: [event: AddedEvent];
  /** A worker took the job. */
  active: [event: ActiveEvent];
  /** The job's handler reported progress. */
  progress: [event: ProgressEvent];
  /** The job completed, with its handler's return value. */
  completed: [event: CompletedEvent];
  /** A try of the job failed. */
  failed: [event: FailedEvent];
  /** The job will run again after its backoff. */
  retrying: [event: RetryingEvent];
  /** The job used all its tries and is in the dead-letter stream. */
  deadLettered: [event: DeadLetteredEvent];
  /** Nothing is waiting, delayed or running any more. */
  drained: [event: QueueEvent];
  /** The queue was paused. */
  paused: [event: QueueEvent];
  /** The queue was resumed. */
  resumed: [event: QueueEvent];
  /** Reading failed (Redis trouble), or a listener threw; the listener goes on (with backoff). Emitted only when listened to. */
  error: [error: Error];
}

/** What {@link QueueEvents} needs: made by `StreamQueue.events()`. */
export interface QueueEventsOptions {
  /** The queue's connection (the listener duplicates it for its blocking reads). */
  connection: RedisConnection;
  /** The queue's name. */
  name: string;
  /** Decodes return values and progress. */
  serializer: Serializer;
  /** The queue's keys. */
  keys: QueueKeys;
}

// Longest wait of one XREAD BLOCK; close() interrupts it rather than waiting it out.
const BLOCK_MS = 5000;

/**
 * Reads a queue's events in order and emits them as typed events ({@link QueueEventMap}). Each
 * event carries `id`, its position in the stream (`start(after)` resumes after it). Make it
 * with `StreamQueue.events()`, then `start()`; `close()` stops it at once.
 */
export class QueueEvents<T = unknown> extends EventEmitter<QueueEventMap> {
  private blocking: RedisConnection | undefined;
  // Stryker disable next-line StringLiteral: equivalent, start() sets it before any read can block, and close() sends it only while one does
  private clientId = '';
  private reading: Promise<void> | undefined;
  private stopped = false;
  private blocked = false;
  declare private readonly payloadType?: T;

  constructor(private readonly options: QueueEventsOptions) {
    super();
  }

  /**
   * Starts reading after `after` (an event `id`; default `'$'`: only events from now on).
   * Resolves once the listener is connected, so that no event published after that is missed.
   */
  async start(after = '$'): Promise<void> {
    if (this.reading) return;
    const { events } = this.options.keys;
    this.blocking = await this.options.connection.duplicate();
    const [last, id] = await this.blocking.pipeline(
      [
        ['XREVRANGE', events, '+', '-', 'COUNT', 1],
        ['CLIENT', 'ID'],
      ],
      { routeKey: events },
    );
    this.clientId = String(id);
    // '$' is taken now, not at the first read, so that events published in between are read too.
    let cursor = after;
    if (after === '$') cursor = String(list(list(last, 'XREVRANGE')[0] ?? ['0-0'], 'XREVRANGE')[0]);
    this.reading = this.loop(this.blocking, cursor);
  }

  /** Stops reading at once and closes the listener's connection. */
  async close(): Promise<void> {
    this.stopped = true;
    const { events } = this.options.keys;
    try {
      // The read may not have reached Redis yet when the unblock does: try again while it blocks.
      for (let i = 0; i < 20 && this.blocked; i++) {
        await this.options.connection.pipeline(
          [
            ['EXISTS', events],
            ['CLIENT', 'UNBLOCK', this.clientId],
          ],
          { routeKey: events },
        );
        if (this.blocked) await sleep(10);
      }
    } catch {
      // The queue's connection is closed already: closing the listener's own ends the read.
      const blocking = this.blocking;
      this.blocking = undefined;
      await blocking?.close();
    }
    await this.reading;
    await this.blocking?.close();
  }

  private async loop(blocking: RedisConnection, from: string): Promise<void> {
    const { events } = this.options.keys;
    let cursor = from;
    let failures = 0;
    while (!this.stopped) {
      let reply: unknown;
      try {
        this.blocked = true;
        const timeoutMs = blocking.commandTimeoutMs === 0 ? 0 : BLOCK_MS + blocking.commandTimeoutMs;
        reply = await blocking.send(['XREAD', 'COUNT', 500, 'BLOCK', BLOCK_MS, 'STREAMS', events, cursor], events, { timeoutMs });
        failures = 0;
      } catch (err) {
        this.blocked = false;
        if (this.stopped) break;
        if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
        await sleep(backoffDelay(++failures, { baseMs: 100, maxMs: 5000 }));
        continue;
      } finally {
        this.blocked = false;
      }
      if (reply === null || reply === undefined) continue;
      // Stryker disable next-line StringLiteral: equivalent, the message of a reply shape XREAD never gives (always an array of streams)
      const [stream] = list(reply, 'XREAD');
      if (!stream) continue;
      // Stryker disable next-line StringLiteral: equivalent, the messages of reply shapes XREAD never gives (a stream is [key, entries])
      for (const raw of list(list(stream, 'XREAD')[1], 'XREAD')) {
        // Stryker disable next-line StringLiteral: equivalent, the message of a reply shape XREAD never gives (an entry is [id, fields])
        const [id, fields] = list(raw, 'XREAD');
        cursor = String(id);
        // Stryker disable next-line StringLiteral: equivalent, the message of a reply shape XREAD never gives (fields are an array)
        this.dispatch(cursor, list(fields, 'XREAD').map(String));
      }
    }
  }

  private dispatch(id: string, fields: string[]): void {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
    // Stryker disable next-line StringLiteral: equivalent, every event the scripts write has an i field (includes/jobs.lua emit)
    const jobId = f.i ?? '';
    const value = (text: string | undefined) => {
      if (text === undefined || text === '') return undefined;
      try {
        return this.options.serializer.deserialize(text);
      } catch {
        return undefined;
      }
    };
    try {
      switch (f.e) {
        case 'added':
          this.emit('added', { jobId, name: f.n ?? '', id });
          break;
        case 'active':
          this.emit('active', { jobId, consumer: f.c ?? '', id });
          break;
        case 'progress':
          this.emit('progress', { jobId, progress: value(f.v), id });
          break;
        case 'completed':
          this.emit('completed', { jobId, returnValue: value(f.r), id });
          break;
        case 'failed':
          this.emit('failed', { jobId, error: f.x ?? '', attemptsMade: Number(f.a ?? 0), id });
          break;
        case 'retrying':
          this.emit('retrying', { jobId, delayMs: Number(f.d ?? 0), id });
          break;
        case 'deadLettered':
          this.emit('deadLettered', { jobId, error: f.x ?? '', id });
          break;
        case 'drained':
          this.emit('drained', { id });
          break;
        case 'paused':
          this.emit('paused', { id });
          break;
        case 'resumed':
          this.emit('resumed', { id });
          break;
      }
    } catch (err) {
      // A throwing listener must not stop the reading.
      if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
    }
  }
}

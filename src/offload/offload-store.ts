import { backoffDelay, sleep } from '../core/async.js';
import type { RedisReply } from '../core/client/types.js';
import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { RedisCommandError, ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger, assertText } from '../core/validation.js';
import { ackScript, updateScript } from './scripts.js';
import { shardOf } from './shard.js';
import { instrument } from './telemetry.js';

const VERSION = '_v';

/** Most records per `flush` call (the largest {@link SyncOptions.batchSize}). */
export const MAX_SYNC_BATCH = 1000;

/**
 * Most fields one {@link OffloadStore.update} sets; more are rejected with a `ValidationError`
 * before anything is sent.
 */
export const MAX_UPDATE_FIELDS = 10_000;

/** Options of {@link OffloadStore}. */
export interface OffloadStoreOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Name of the record kind (e.g. `appointments`), 1 to 1,024 UTF-8 bytes; part of every key. Required. */
  name: string;
  /**
   * Number of dirty-index shards. A record and its dirty entry share the shard's
   * hash tag, so on a cluster the records spread over `shards` slots. Fixed for the
   * life of the data: changing it hides records already stored. A positive integer. Default `16`.
   */
  shards?: number;
  /** How long a record is kept after it was synced (and not changed since), in ms; `0` = forever. Default `86_400_000` (1 day). */
  cleanTtlMs?: number;
}

interface Resolved {
  connection: RedisConnection;
  name: string;
  shards: number;
  cleanTtlMs: number;
}

function resolveOptions(options: OffloadStoreOptions): Resolved {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  assertKeyPart('name', options.name);
  const shards = options.shards ?? 16;
  assertPositiveInteger('shards', shards);
  const cleanTtlMs = options.cleanTtlMs ?? 86_400_000;
  assertNonNegativeInteger('cleanTtlMs', cleanTtlMs);
  return { connection: toConnection(options.connection), name: options.name, shards, cleanTtlMs };
}

/** Options of {@link OffloadStore.sync}. */
export interface SyncOptions {
  /** Records per `flush` call, 1 to {@link MAX_SYNC_BATCH}. Default `100`. */
  batchSize?: number;
  /** Attempts per batch before giving up on it for this sync, a positive integer. Default `3`. */
  maxAttempts?: number;
  /** Delay before the first retry, doubled (with jitter, at most 30 s) per attempt, in ms. Default `100`. */
  retryBaseMs?: number;
}

type ResolvedSync = Required<SyncOptions>;

function resolveSyncOptions(options: SyncOptions): ResolvedSync {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const { batchSize = 100, maxAttempts = 3, retryBaseMs = 100 } = options;
  assertPositiveInteger('batchSize', batchSize);
  if (batchSize > MAX_SYNC_BATCH) throw new ValidationError('batchSize', `must be at most ${MAX_SYNC_BATCH}, got ${batchSize}`);
  assertPositiveInteger('maxAttempts', maxAttempts);
  assertNonNegativeInteger('retryBaseMs', retryBaseMs);
  return { batchSize, maxAttempts, retryBaseMs };
}

/** A record handed to the flush function. */
export interface OffloadRecord {
  /** The record's id, as passed to `update`. */
  id: string;
  /** Increases by 1 per update; store it to make the write idempotent and ordered. */
  version: number;
  /** Every field set on the record so far (the latest value of each, deserialized), not only those changed since the last sync. */
  fields: Record<string, unknown>;
}

/** A record as read by {@link OffloadStore.get}. */
export interface StoredRecord extends OffloadRecord {
  /** True while it has changes the primary database has not received. */
  dirty: boolean;
}

/** What one {@link OffloadStore.sync} did. */
export interface SyncResult {
  /** Records passed to successful flush calls. */
  flushed: number;
  /** Records removed from the dirty index (flushed and unchanged since). */
  cleared: number;
  /** Records changed while being flushed: they stay dirty for the next sync. */
  changedDuringFlush: number;
  /** Records in batches whose flush failed on every attempt: they stay dirty. */
  failed: number;
  /** Flush calls that failed (including ones that succeeded on a retry). */
  retries: number;
  /** The last error of each batch that failed on every attempt. */
  errors: unknown[];
}

/** The function that writes a batch to the primary database; throw to make the batch retry. */
export type FlushFn = (records: OffloadRecord[]) => Promise<void>;

/**
 * Offloads frequently changing metadata (e.g. appointment check-in status, room,
 * notes) from the primary database to Redis: field-level `update`s are one
 * round trip each and mark the record dirty; `sync(flush)` drains the dirty
 * records to the database in batches, with retries, and clears a record only
 * if it did not change during the flush, so no update is ever lost.
 *
 * The flush function must be idempotent (upsert by id, ideally ignoring
 * versions older than the stored one): a record may be flushed twice when two
 * syncs overlap or an acknowledgement is lost.
 *
 * @example
 * const store = new OffloadStore({ connection, name: 'appointments' });
 * await store.update('appt-1', { status: 'checked-in', room: '4B' });
 * await store.sync((records) => db.upsertAppointments(records));
 */
export class OffloadStore {
  private readonly telemetry: TelemetryAttributes;
  private readonly options: Resolved;
  private readonly connection: RedisConnection;
  private readonly ks: KeySpace;

  constructor(options: OffloadStoreOptions) {
    this.options = resolveOptions(options);
    this.connection = this.options.connection;
    this.ks = this.connection.keys('offload', { durable: true });
    this.telemetry = { store: this.options.name };
  }

  /**
   * Sets some fields of record `id` (others are kept), bumps its version and
   * marks it dirty. Sets 1 to {@link MAX_UPDATE_FIELDS} fields (fields whose value is
   * `undefined` are skipped); field names starting with `_` are reserved. Returns the new
   * version. One `EVALSHA`.
   */
  async update(id: string, fields: Record<string, unknown>): Promise<number> {
    return instrument.trace('update', this.telemetry, id, async () => {
      assertKeyPart('id', id);
      if (fields == null || typeof fields !== 'object' || Array.isArray(fields))
        throw new ValidationError('fields', 'must be a plain object');
      const args: string[] = [];
      for (const [field, value] of Object.entries(fields)) {
        assertText('fields', field);
        if (field.length === 0 || field.startsWith('_')) throw new ValidationError('fields', `invalid field name ${JSON.stringify(field)}`);
        if (value !== undefined) args.push(field, this.connection.serializer.serialize(value));
      }
      if (!args.length) throw new ValidationError('fields', 'must set at least one field');
      if (args.length > 2 * MAX_UPDATE_FIELDS) {
        throw new ValidationError('fields', `must set at most ${MAX_UPDATE_FIELDS} fields, got ${args.length / 2}`);
      }
      const shard = shardOf(id, this.options.shards);
      return this.connection.run(updateScript, [this.recordKey(shard, id), this.dirtyKey(shard)], [id, ...args]);
    });
  }

  /** Record `id` with its dirty flag, or `null` when Redis does not hold it. One round trip. */
  async get(id: string): Promise<StoredRecord | null> {
    return instrument.trace('get', this.telemetry, id, async () => {
      assertKeyPart('id', id);
      const shard = shardOf(id, this.options.shards);
      const key = this.recordKey(shard, id);
      const [flat, score] = await this.connection.pipeline(
        [
          ['HGETALL', key],
          ['ZSCORE', this.dirtyKey(shard), id],
        ],
        { routeKey: key },
      );
      const record = this.toRecord(id, flat);
      return record && { ...record, dirty: score !== null && score !== undefined };
    });
  }

  /** Records waiting to be synced, over all shards (one `ZCARD` per shard: monitoring, not a hot path). */
  async dirtyCount(): Promise<number> {
    return instrument.trace('dirtyCount', this.telemetry, undefined, async () => {
      let total = 0;
      for (let s = 0; s < this.options.shards; s++) {
        const key = this.dirtyKey(s);
        total += Number(await this.connection.send(['ZCARD', key], key));
      }
      return total;
    });
  }

  /**
   * Writes every record that was dirty when the sync started to the primary
   * database through `flush`, `batchSize` at a time, shard by shard. A batch is
   * retried up to `maxAttempts` times; if it still fails, its records stay dirty,
   * the sync moves on to the next shard and reports the error. Changes made while
   * a sync runs are left for the next sync, so a sync always ends.
   *
   * Round trips per batch: one `ZRANGEBYSCORE`, one pipelined `HGETALL` per record, one `EVALSHA` acknowledgement.
   */
  async sync(flush: FlushFn, options: SyncOptions = {}): Promise<SyncResult> {
    return instrument.trace('sync', this.telemetry, undefined, async () => {
      if (typeof flush !== 'function') throw new ValidationError('flush', 'must be a function');
      const resolved = resolveSyncOptions(options);
      // Redis time in µs, the unit of the update script's scores. Only changes made strictly
      // before this instant are drained, so writers that never pause cannot keep a sync running.
      const cutoff = `(${microseconds(await this.connection.send(['TIME']))}`;
      const result: SyncResult = { flushed: 0, cleared: 0, changedDuringFlush: 0, failed: 0, retries: 0, errors: [] };
      for (let shard = 0; shard < this.options.shards; shard++) {
        await this.syncShard(shard, cutoff, flush, resolved, result);
      }
      return result;
    });
  }

  private async syncShard(shard: number, cutoff: string, flush: FlushFn, options: ResolvedSync, result: SyncResult): Promise<void> {
    const dirty = this.dirtyKey(shard);
    for (;;) {
      // Stryker disable next-line StringLiteral: equivalent, Redis reads an empty min as 0 and every dirty score is a positive Redis time in µs
      const ids = strings(await this.connection.send(['ZRANGEBYSCORE', dirty, '-inf', cutoff, 'LIMIT', 0, options.batchSize], dirty));
      if (!ids.length) return;
      const keys = ids.map((id) => this.recordKey(shard, id));
      const replies = await this.connection.pipeline(
        keys.map((k) => ['HGETALL', k]),
        { routeKey: dirty },
      );
      const records: OffloadRecord[] = [];
      const acks: string[] = [];
      ids.forEach((id, i) => {
        const record = this.toRecord(id, replies[i]);
        if (record) records.push(record);
        acks.push(id, record ? String(record.version) : '0');
      });
      if (records.length) {
        const error = await this.flushWithRetries(flush, records, options, result);
        if (error !== undefined) {
          result.failed += records.length;
          result.errors.push(error);
          return;
        }
        result.flushed += records.length;
      }
      const cleared = await this.connection.run(ackScript, [dirty, ...keys], [this.options.cleanTtlMs, ...acks]);
      result.cleared += cleared;
      result.changedDuringFlush += ids.length - cleared;
    }
  }

  /** Returns `undefined` on success, or the last error after `maxAttempts` failures. */
  private async flushWithRetries(flush: FlushFn, records: OffloadRecord[], options: ResolvedSync, result: SyncResult): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        await flush(records);
        return undefined;
      } catch (err) {
        if (attempt >= options.maxAttempts) return err ?? new Error('flush failed');
        result.retries++;
        await sleep(backoffDelay(attempt, { baseMs: options.retryBaseMs, maxMs: 30_000 }));
      }
    }
  }

  /** A record from an `HGETALL` reply (a flat field, value array with both adapters), or `null` when empty. */
  private toRecord(id: string, flat: RedisReply): OffloadRecord | null {
    const list = strings(flat);
    if (!list.length) return null;
    const fields: Record<string, unknown> = {};
    let version = 0;
    for (let i = 0; i < list.length; i += 2) {
      const field = list[i] as string;
      // Stryker disable next-line StringLiteral: equivalent, an HGETALL reply holds field, value pairs, so list[i + 1] is always there
      const value = list[i + 1] ?? '';
      if (field === VERSION) version = Number(value);
      else fields[field] = this.connection.serializer.deserialize(value);
    }
    return { id, version, fields };
  }

  private recordKey(shard: number, id: string): string {
    return this.ks.key(`${this.options.name}#${shard}`, 'record', id);
  }

  private dirtyKey(shard: number): string {
    return this.ks.key(`${this.options.name}#${shard}`, 'dirty');
  }
}

/** The strings of an array reply (`ZRANGEBYSCORE`, a flat `HGETALL`). */
function strings(reply: RedisReply): string[] {
  if (!Array.isArray(reply)) throw new RedisCommandError(`expected an array reply, got ${typeof reply}`);
  return reply.map(String);
}

/** Epoch µs of a `TIME` reply (seconds, microseconds). */
function microseconds(reply: RedisReply): number {
  const [sec, usec] = strings(reply);
  return Number(sec) * 1_000_000 + Number(usec);
}

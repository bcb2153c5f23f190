import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';
import { periodIndex, periodLabel, type StreakPeriod } from './periods.js';
import { listReply, recordScript } from './scripts.js';
import { instrument } from './telemetry.js';

const DAY_MS = 86_400_000;

/** Options of {@link Streaks}. */
export interface StreaksOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** One streak step: `'day'` or `'week'` (ISO week, Monday to Sunday). Default `'day'`. */
  period?: StreakPeriod;
  /**
   * How many missed periods between two active ones still continue the streak
   * (a "freeze"); missed periods do not count towards it. Default `0`.
   */
  grace?: number;
  /** Most recent active periods kept in the history. Default `100`. */
  historyLimit?: number;
  /**
   * Milliseconds without any counted record after which a user's streak data (including
   * the longest streak) expires; refreshed on every counted record. An integer > 0.
   * Default `34_560_000_000` (400 days).
   */
  ttlMs?: number;
  /** IANA time zone used when a call gives none. Default `'UTC'`. */
  timeZone?: string;
}

/** Per-call options of {@link Streaks.record} and {@link Streaks.get}. */
export interface StreakCallOptions {
  /** IANA time zone of the user (e.g. `'America/New_York'`): decides where a day or week starts. Default: the instance's `timeZone`. */
  timeZone?: string;
}

/** What {@link Streaks.record} returns. */
export interface RecordResult {
  /** Active periods in the current streak, this one included. */
  current: number;
  /** The longest streak ever reached. */
  longest: number;
  /**
   * `'counted'` when this period was new, `'duplicate'` when it had already been
   * recorded (idempotent), `'stale'` when it is older than the last recorded period
   * (ignored: the streak never rewrites the past).
   */
  status: 'counted' | 'duplicate' | 'stale';
  /** The last recorded period, e.g. `'2026-03-08'` or `'2026-W53'`. */
  lastPeriod: string;
}

/** What {@link Streaks.get} returns. */
export interface StreakState {
  /** The current streak, `0` when it is already broken at the time asked about (or never started). */
  current: number;
  /** The longest streak ever reached (`0` if none). */
  longest: number;
  /** The last recorded period, or `null` if there is none. */
  lastPeriod: string | null;
}

/**
 * Consecutive-period activity streaks per user and kind ("4-week check-in streak"):
 * one `EVALSHA` records a period and returns the current and longest streak. The
 * period (local day or ISO week) is computed here from the caller's date and IANA time
 * zone; the streak update runs atomically in Redis, so concurrent records of one user
 * from several devices count once.
 *
 * @example
 * const streaks = new Streaks({ connection, period: 'week', grace: 1 });
 * const { current, longest } = await streaks.record('patient-7', 'check-in', new Date(), { timeZone: 'Europe/Berlin' });
 */
export class Streaks {
  private readonly telemetry: TelemetryAttributes;
  /** The connection in use. */
  readonly connection: RedisConnection;
  /** The period length of this instance. */
  readonly period: StreakPeriod;
  private readonly keys: KeySpace;
  private readonly grace: number;
  private readonly historyLimit: number;
  private readonly ttlMs: number;
  private readonly timeZone: string;

  constructor(options: StreaksOptions) {
    const resolved = resolveOptions(options);
    this.connection = resolved.connection;
    this.keys = this.connection.keys('streaks', { durable: true });
    this.period = resolved.period;
    this.grace = resolved.grace;
    this.historyLimit = resolved.historyLimit;
    this.ttlMs = resolved.ttlMs;
    this.timeZone = resolved.timeZone;
    this.telemetry = {};
  }

  /**
   * Records activity of `userId` in `kind` at `at` (a `Date` or epoch ms) and returns the
   * streak: one round trip. Several records in one period count once.
   */
  async record(userId: string, kind: string, at: Date | number, options: StreakCallOptions = {}): Promise<RecordResult> {
    return instrument.trace('record', this.telemetry, userId, async () => {
      const keys = this.keysOf(userId, kind);
      const index = periodIndexAt(this.period, at, options.timeZone ?? this.timeZone);
      const { current, longest, status, last } = await this.connection.run(recordScript, keys, [
        index,
        this.grace,
        this.historyLimit,
        this.ttlMs,
      ]);
      return { current, longest, status, lastPeriod: periodLabel(this.period, last) };
    });
  }

  /**
   * The streak of `userId` in `kind` as of `at` (default now): `current` is `0` once more
   * than `grace` periods have passed since the last record. One `HMGET`.
   */
  async get(userId: string, kind: string, at: Date | number = Date.now(), options: StreakCallOptions = {}): Promise<StreakState> {
    return instrument.trace('get', this.telemetry, userId, async () => {
      const [state] = this.keysOf(userId, kind);
      const index = periodIndexAt(this.period, at, options.timeZone ?? this.timeZone);
      const [last, current, longest] = listReply(await this.connection.send(['HMGET', state, 'last', 'current', 'longest'], state));
      if (last == null) return { current: 0, longest: 0, lastPeriod: null };
      const alive = index - Number(last) <= this.grace + 1;
      return { current: alive ? Number(current) : 0, longest: Number(longest), lastPeriod: periodLabel(this.period, Number(last)) };
    });
  }

  /** The most recent active periods of `userId` in `kind`, newest first (at most `historyLimit`). */
  async history(userId: string, kind: string, limit = this.historyLimit): Promise<string[]> {
    return instrument.trace('history', this.telemetry, userId, async () => {
      const [, key] = this.keysOf(userId, kind);
      assertPositiveInteger('limit', limit);
      const members = listReply(await this.connection.send(['ZRANGE', key, 0, limit - 1, 'REV'], key));
      return members.map((m) => periodLabel(this.period, Number(m)));
    });
  }

  /** Deletes the streak data of `userId` in `kind`. */
  async reset(userId: string, kind: string): Promise<void> {
    return instrument.trace('reset', this.telemetry, userId, async () => {
      const [state, history] = this.keysOf(userId, kind);
      await this.connection.send(['DEL', state, history], state);
    });
  }

  /** The state hash and history set of one user and kind. */
  private keysOf(userId: string, kind: string): [string, string] {
    assertKeyPart('userId', userId);
    assertKeyPart('kind', kind);
    // The user is the hash tag, so every kind of one user lives in one slot.
    return [this.keys.key(userId, kind, this.period, 'state'), this.keys.key(userId, kind, this.period, 'history')];
  }
}

/** {@link StreaksOptions} with every default applied. */
interface ResolvedStreaksOptions {
  connection: RedisConnection;
  period: StreakPeriod;
  grace: number;
  historyLimit: number;
  ttlMs: number;
  timeZone: string;
}

/** Defaults and validation of every option, before anything is sent. */
function resolveOptions(options: StreaksOptions): ResolvedStreaksOptions {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const resolved: ResolvedStreaksOptions = {
    connection: toConnection(options.connection),
    period: options.period ?? 'day',
    grace: options.grace ?? 0,
    historyLimit: options.historyLimit ?? 100,
    ttlMs: options.ttlMs ?? 400 * DAY_MS,
    timeZone: options.timeZone ?? 'UTC',
  };
  if (resolved.period !== 'day' && resolved.period !== 'week') throw new ValidationError('period', "must be 'day' or 'week'");
  assertNonNegativeInteger('grace', resolved.grace);
  assertPositiveInteger('historyLimit', resolved.historyLimit);
  assertPositiveInteger('ttlMs', resolved.ttlMs);
  periodIndexAt(resolved.period, 0, resolved.timeZone); // rejects an unknown default zone now
  return resolved;
}

/** The period index of `at` in `timeZone`, after checking both. */
function periodIndexAt(period: StreakPeriod, at: Date | number, timeZone: string): number {
  const date = typeof at === 'number' ? new Date(at) : at;
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    throw new ValidationError('at', 'must be a valid Date or epoch milliseconds');
  if (typeof timeZone !== 'string') throw new ValidationError('timeZone', 'must be an IANA time zone name');
  return periodIndex(period, date, timeZone);
}

import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';
import { type LeaderboardPeriod, type PeriodWindow, periodOf } from './period.js';
import { aroundScript, listReply, rangeScript, removeScript, setScript, toEntries } from './scripts.js';
import { instrument } from './telemetry.js';

/** Largest `n` of `top`, `around` and page sizes: one reply stays small. */
export const MAX_LEADERBOARD_PAGE = 1000;
const DAY_MS = 86_400_000;

/** Options of {@link Leaderboard}. */
export interface LeaderboardOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Name of the board (its hash tag: a board and its periods live in one slot). */
  name: string;
  /** `'none'` (one board), `'daily'` or `'weekly'` (UTC days, ISO weeks). Default `'none'`. */
  period?: LeaderboardPeriod;
  /**
   * Periodic boards: how long a period's board is kept after the period ends, in ms (an
   * integer > 0). Default `604_800_000` (7 days) for `'daily'`, `2_419_200_000` (28 days) for `'weekly'`.
   */
  retainMs?: number;
  /**
   * `'none'` boards only: expire the board this many ms after its last write (an integer
   * >= 0). Default `0`: the board lives until {@link Leaderboard.clear} (a standing board
   * is meant to last).
   */
  ttlMs?: number;
}

/** Selects the period a call reads or writes (periodic boards only). */
export interface PeriodSelector {
  /** Any instant inside the period. Default: now (client clock; periods are calendar days/weeks). */
  at?: Date;
}

/** One member's place on the board. */
export interface LeaderboardEntry {
  /** The member ranked (e.g. a user id). */
  member: string;
  /** The member's current score on this board (period); higher ranks better. */
  score: number;
  /** 1 = first place. Equal scores are ordered by who reached the score first. */
  rank: number;
}

/** One page of the board. */
export interface LeaderboardPage {
  /** The page's entries, best first; fewer than `size` (or none) past the end of the board. */
  entries: LeaderboardEntry[];
  /** Members on the board. */
  total: number;
}

/**
 * A ranking on a sorted set, best score first; ties go to whoever reached the
 * score earlier (Redis `TIME`, microsecond stamps). Every call is one round trip.
 *
 * @example
 * const board = new Leaderboard({ connection, name: 'adherence', period: 'weekly' });
 * await board.increment('patient-42', 10);
 * const podium = await board.top(3);
 */
export class Leaderboard {
  private readonly telemetry: TelemetryAttributes;
  private readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly name: string;
  private readonly period: LeaderboardPeriod;
  private readonly retainMs: number;
  private readonly ttlMs: number;

  constructor(options: LeaderboardOptions) {
    const resolved = resolveOptions(options);
    this.connection = resolved.connection;
    this.ks = this.connection.keys('leaderboard', { durable: true });
    this.name = resolved.name;
    this.period = resolved.period;
    this.retainMs = resolved.retainMs;
    this.ttlMs = resolved.ttlMs;
    this.telemetry = { board: this.name };
  }

  /** Sets `member`'s score (its tie-break time changes only if the score does). Returns its new place. */
  add(member: string, score: number, selector: PeriodSelector = {}): Promise<LeaderboardEntry> {
    return instrument.trace('add', this.telemetry, member, async () => {
      // Stryker disable next-line StringLiteral: equivalent, set.lua adds only for mode 'incr' and sets the score for any other mode
      return this.write(member, score, 'set', selector);
    });
  }

  /** Adds `amount` (may be negative) to `member`'s score, starting from 0. Returns its new place. */
  increment(member: string, amount: number, selector: PeriodSelector = {}): Promise<LeaderboardEntry> {
    return instrument.trace('increment', this.telemetry, member, async () => {
      return this.write(member, amount, 'incr', selector);
    });
  }

  /** `member`'s place, or `null` when it is not on the board. */
  async rank(member: string, selector: PeriodSelector = {}): Promise<LeaderboardEntry | null> {
    return instrument.trace('rank', this.telemetry, member, async () => {
      return (await this.around(member, 0, selector))?.[0] ?? null;
    });
  }

  /** The best `n` entries (one `ZREVRANGE`: unlike {@link page} it does not count the board). */
  async top(n: number, selector: PeriodSelector = {}): Promise<LeaderboardEntry[]> {
    return instrument.trace('top', this.telemetry, undefined, async () => {
      assertPageSize('n', n);
      const [zset] = this.keysFor(this.window(selector));
      return toEntries(listReply(await this.connection.send(['ZREVRANGE', zset, 0, n - 1, 'WITHSCORES'], zset)), 0);
    });
  }

  /**
   * `member` with up to `n` entries above and `n` below it (fewer at the ends of
   * the board), or `null` when it is not on the board.
   */
  async around(member: string, n: number, selector: PeriodSelector = {}): Promise<LeaderboardEntry[] | null> {
    return instrument.trace('around', this.telemetry, member, async () => {
      assertMember(member);
      if (n !== 0) assertPositiveInteger('n', n);
      if (n > MAX_LEADERBOARD_PAGE) throw new ValidationError('n', `must be at most ${MAX_LEADERBOARD_PAGE}`);
      const [zset, index] = this.keysFor(this.window(selector));
      return this.connection.run(aroundScript, [zset, index], [member, n]);
    });
  }

  /**
   * Page number `page` of `size` entries, best first, with the board's size. Pages are
   * numbered from 1: page 1 holds ranks 1 to `size`, page 2 the next `size`.
   */
  async page(page: number, size: number, selector: PeriodSelector = {}): Promise<LeaderboardPage> {
    return instrument.trace('page', this.telemetry, undefined, async () => {
      assertPositiveInteger('page', page);
      assertPageSize('size', size);
      const first = (page - 1) * size;
      const [zset] = this.keysFor(this.window(selector));
      return this.connection.run(rangeScript, [zset], [first, first + size - 1]);
    });
  }

  /** Removes `member`; returns whether it was on the board. */
  async remove(member: string, selector: PeriodSelector = {}): Promise<boolean> {
    return instrument.trace('remove', this.telemetry, member, async () => {
      assertMember(member);
      const keys = this.keysFor(this.window(selector));
      return this.connection.run(removeScript, keys, [member]);
    });
  }

  /** Deletes the board (of the selected period). */
  async clear(selector: PeriodSelector = {}): Promise<void> {
    return instrument.trace('clear', this.telemetry, undefined, async () => {
      const [zset, index] = this.keysFor(this.window(selector));
      await this.connection.send(['DEL', zset, index], zset);
    });
  }

  private async write(member: string, amount: number, mode: 'set' | 'incr', selector: PeriodSelector): Promise<LeaderboardEntry> {
    assertMember(member);
    // Stryker disable next-line ConditionalExpression: equivalent, Number.isFinite is false for every non-number, so the typeof test alone decides nothing
    if (typeof amount !== 'number' || !Number.isFinite(amount))
      throw new ValidationError('score', `must be a finite number, got ${amount}`);
    const window = this.window(selector);
    // Periodic boards expire at a calendar instant every instance computes alike; standing boards slide.
    const [command, ms]: ['' | 'PEXPIRE' | 'PEXPIREAT', number] =
      window.endsAt !== undefined ? ['PEXPIREAT', window.endsAt + this.retainMs] : this.ttlMs ? ['PEXPIRE', this.ttlMs] : ['', 0];
    const { score, rank } = await this.connection.run(setScript, this.keysFor(window), [member, amount, mode, command, ms]);
    return { member, score, rank: rank + 1 };
  }

  private window(selector: PeriodSelector): PeriodWindow {
    const at = selector.at ?? new Date();
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new ValidationError('at', 'must be a valid Date');
    return periodOf(this.period, at);
  }

  private keysFor(window: PeriodWindow): [string, string] {
    return [this.ks.key(this.name, window.id, 'scores'), this.ks.key(this.name, window.id, 'members')];
  }
}

function assertPageSize(field: string, n: unknown): asserts n is number {
  assertPositiveInteger(field, n);
  if (n > MAX_LEADERBOARD_PAGE) throw new ValidationError(field, `must be at most ${MAX_LEADERBOARD_PAGE}`);
}

function assertMember(member: unknown): asserts member is string {
  assertKeyPart('member', member);
}

/** {@link LeaderboardOptions} with every default applied. */
interface ResolvedLeaderboardOptions {
  connection: RedisConnection;
  name: string;
  period: LeaderboardPeriod;
  retainMs: number;
  ttlMs: number;
}

/** Defaults and validation of every option, before anything is sent. */
function resolveOptions(options: LeaderboardOptions): ResolvedLeaderboardOptions {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  assertKeyPart('name', options.name);
  const period = options.period ?? 'none';
  if (period !== 'none' && period !== 'daily' && period !== 'weekly')
    throw new ValidationError('period', "must be 'none', 'daily' or 'weekly'");
  const retainMs = options.retainMs ?? (period === 'weekly' ? 28 : 7) * DAY_MS;
  assertPositiveInteger('retainMs', retainMs);
  const ttlMs = options.ttlMs ?? 0;
  assertNonNegativeInteger('ttlMs', ttlMs);
  if (ttlMs !== 0 && period !== 'none') throw new ValidationError('ttlMs', 'applies to period none; periodic boards use retainMs');
  return { connection: toConnection(options.connection), name: options.name, period, retainMs, ttlMs };
}

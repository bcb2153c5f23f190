import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import { defineScript } from '../core/script.js';
import { assertKeyPart, assertPositiveInteger } from '../core/validation.js';
import { type LeaderboardPeriod, type PeriodWindow, periodOf } from './period.js';
import aroundSource from './scripts/around.lua';
import rangeSource from './scripts/range.lua';
import removeSource from './scripts/remove.lua';
import setSource from './scripts/set.lua';

const setScript = defineScript('leaderboard/set', setSource, 2);
const aroundScript = defineScript('leaderboard/around', aroundSource, 2);
const rangeScript = defineScript('leaderboard/range', rangeSource, 1);
const removeScript = defineScript('leaderboard/remove', removeSource, 2);

// Width of the inverted TIME stamp (10 digits of seconds, 6 of microseconds) in front of each member.
const STAMP = 16;
/** Largest `n` of `top`, `around` and page sizes: one reply stays small. */
export const MAX_LEADERBOARD_PAGE = 1000;
const DAY_MS = 86_400_000;

/** Options of {@link Leaderboard}. */
export interface LeaderboardOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Name of the board (its hash tag: a board and its periods live in one slot). */
  name: string;
  /** `none` (one board), `daily` or `weekly` (UTC days, ISO weeks). Default `none`. */
  period?: LeaderboardPeriod;
  /**
   * Periodic boards: how long a period's board is kept after the period ends, in ms.
   * Default 7 days for `daily`, 28 days for `weekly`.
   */
  retainMs?: number;
  /**
   * `none` boards: expire the board this many ms after its last write. Default `0`:
   * the board lives until {@link Leaderboard.clear} (a standing board is meant to last).
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
  private readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly name: string;
  private readonly period: LeaderboardPeriod;
  private readonly retainMs: number;
  private readonly ttlMs: number;

  constructor(options: LeaderboardOptions) {
    assertKeyPart('name', options.name);
    const period = options.period ?? 'none';
    if (!['none', 'daily', 'weekly'].includes(period)) throw new ValidationError('period', 'must be none, daily or weekly');
    const retainMs = options.retainMs ?? (period === 'weekly' ? 28 : 7) * DAY_MS;
    assertPositiveInteger('retainMs', retainMs);
    const ttlMs = options.ttlMs ?? 0;
    if (ttlMs !== 0) assertPositiveInteger('ttlMs', ttlMs);
    if (ttlMs !== 0 && period !== 'none') throw new ValidationError('ttlMs', 'applies to period none; periodic boards use retainMs');
    this.connection = toConnection(options.connection);
    this.ks = this.connection.keys('leaderboard');
    this.name = options.name;
    this.period = period;
    this.retainMs = retainMs;
    this.ttlMs = ttlMs;
  }

  /** Sets `member`'s score (its tie-break time changes only if the score does). Returns its new place. */
  add(member: string, score: number, selector: PeriodSelector = {}): Promise<LeaderboardEntry> {
    return this.write(member, score, 'set', selector);
  }

  /** Adds `amount` (may be negative) to `member`'s score, starting from 0. Returns its new place. */
  increment(member: string, amount: number, selector: PeriodSelector = {}): Promise<LeaderboardEntry> {
    return this.write(member, amount, 'incr', selector);
  }

  /** `member`'s place, or `null` when it is not on the board. */
  async rank(member: string, selector: PeriodSelector = {}): Promise<LeaderboardEntry | null> {
    return (await this.around(member, 0, selector))?.[0] ?? null;
  }

  /** The best `n` entries (one `ZREVRANGE`: unlike {@link page} it does not count the board). */
  async top(n: number, selector: PeriodSelector = {}): Promise<LeaderboardEntry[]> {
    assertPageSize('n', n);
    const [zset] = this.keysFor(this.window(selector));
    return toEntries((await this.connection.send(['ZREVRANGE', zset, 0, n - 1, 'WITHSCORES'], zset)) as string[], 0);
  }

  /**
   * `member` with up to `n` entries above and `n` below it (fewer at the ends of
   * the board), or `null` when it is not on the board.
   */
  async around(member: string, n: number, selector: PeriodSelector = {}): Promise<LeaderboardEntry[] | null> {
    assertMember(member);
    if (n !== 0) assertPositiveInteger('n', n);
    if (n > MAX_LEADERBOARD_PAGE) throw new ValidationError('n', `must be at most ${MAX_LEADERBOARD_PAGE}`);
    const [zset, index] = this.keysFor(this.window(selector));
    const reply = (await this.connection.run(aroundScript, [zset, index], [member, n])) as [number, ...string[]] | null;
    if (!reply) return null;
    return toEntries(reply.slice(1) as string[], Number(reply[0]));
  }

  /** Page `page` (1-based) of `size` entries, best first, with the board's size. */
  async page(page: number, size: number, selector: PeriodSelector = {}): Promise<LeaderboardPage> {
    assertPositiveInteger('page', page);
    assertPageSize('size', size);
    const first = (page - 1) * size;
    const [zset] = this.keysFor(this.window(selector));
    const reply = (await this.connection.run(rangeScript, [zset], [first, first + size - 1])) as [number, ...string[]];
    return { entries: toEntries(reply.slice(1) as string[], first), total: Number(reply[0]) };
  }

  /** Removes `member`; returns whether it was on the board. */
  async remove(member: string, selector: PeriodSelector = {}): Promise<boolean> {
    assertMember(member);
    const keys = this.keysFor(this.window(selector));
    return Number(await this.connection.run(removeScript, keys, [member])) === 1;
  }

  /** Deletes the board (of the selected period). */
  async clear(selector: PeriodSelector = {}): Promise<void> {
    const [zset, index] = this.keysFor(this.window(selector));
    await this.connection.send(['DEL', zset, index], zset);
  }

  private async write(member: string, amount: number, mode: 'set' | 'incr', selector: PeriodSelector): Promise<LeaderboardEntry> {
    assertMember(member);
    if (typeof amount !== 'number' || !Number.isFinite(amount))
      throw new ValidationError('score', `must be a finite number, got ${amount}`);
    const window = this.window(selector);
    // Periodic boards expire at a calendar instant every instance computes alike; standing boards slide.
    const expiry: [string, number] =
      window.endsAt !== undefined ? ['PEXPIREAT', window.endsAt + this.retainMs] : this.ttlMs ? ['PEXPIRE', this.ttlMs] : ['', 0];
    const reply = (await this.connection.run(setScript, this.keysFor(window), [member, amount, mode, ...expiry])) as [string, number];
    return { member, score: Number(reply[0]), rank: Number(reply[1]) + 1 };
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

/** Turns `[stamped entry, score, ...]` starting at 0-based rank `first` into entries. */
function toEntries(flat: readonly string[], first: number): LeaderboardEntry[] {
  const out: LeaderboardEntry[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    out.push({ member: (flat[i] as string).slice(STAMP), score: Number(flat[i + 1]), rank: first + i / 2 + 1 });
  }
  return out;
}

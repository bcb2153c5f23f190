import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import { defineScript } from '../core/script.js';
import { assertKeyPart, assertPositiveInteger } from '../core/validation.js';
import incrementSource from './scripts/window-increment.lua';
import readSource from './scripts/window-read.lua';

const incrementScript = defineScript('counters/window-increment', incrementSource, 1);
const readScript = defineScript('counters/window-read', readSource, 1);

/** Most windows an {@link AtomicCounter} keeps. */
export const MAX_WINDOWS = 10_000;

/** Options of {@link AtomicCounter}. */
export interface AtomicCounterOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Length of one window in ms (aligned to the epoch, Redis time). Default `60_000` (a minute). */
  windowMs?: number;
  /** Windows kept; older ones are dropped and an idle counter expires after `windowMs * windows`. Default `60`. */
  windows?: number;
}

/** One window's count. */
export interface WindowCount {
  /** Epoch ms at which the window starts. */
  start: number;
  /** The counter's total in this window (after the increment, for `increment`); `0` for a window with no increments. */
  value: number;
}

/**
 * Analytics counters in fixed time windows (e.g. reminders sent per minute for
 * the last hour): atomic increments on a hash per counter, windows chosen by
 * Redis `TIME` so every instance agrees on the boundaries, old windows trimmed
 * and idle counters expired. One round trip per call.
 *
 * @example
 * const sent = new AtomicCounter({ connection, windowMs: 60_000, windows: 60 });
 * await sent.increment('sms:reminders');
 * const lastHour = await sent.total('sms:reminders');
 */
export class AtomicCounter {
  private readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly windowMs: number;
  private readonly windows: number;

  constructor(options: AtomicCounterOptions) {
    this.windowMs = options.windowMs ?? 60_000;
    this.windows = options.windows ?? 60;
    assertPositiveInteger('windowMs', this.windowMs);
    assertPositiveInteger('windows', this.windows);
    if (this.windows > MAX_WINDOWS) throw new ValidationError('windows', `must be at most ${MAX_WINDOWS}`);
    this.connection = toConnection(options.connection);
    this.ks = this.connection.keys('counters');
  }

  /** Adds `amount` (a safe integer, may be negative) to the current window. Returns that window's new count. */
  async increment(counter: string, amount = 1): Promise<WindowCount> {
    assertKeyPart('counter', counter);
    if (!Number.isSafeInteger(amount)) throw new ValidationError('amount', `must be a safe integer, got ${amount}`);
    const [start, value] = (await this.connection.run(incrementScript, [this.key(counter)], [amount, this.windowMs, this.windows])) as [
      number,
      number,
    ];
    return { start: Number(start), value: Number(value) };
  }

  /** Counts of the latest `n` windows (default all kept), newest first; the first is the current window. */
  async series(counter: string, n = this.windows): Promise<WindowCount[]> {
    assertKeyPart('counter', counter);
    assertPositiveInteger('n', n);
    if (n > this.windows) throw new ValidationError('n', `must be at most windows (${this.windows})`);
    const [start, ...values] = (await this.connection.run(readScript, [this.key(counter)], [this.windowMs, n])) as [number, ...unknown[]];
    // An empty window reads as nil (null here).
    return values.map((v, i) => ({ start: Number(start) - i * this.windowMs, value: Number(v ?? 0) }));
  }

  /** Sum of the latest `n` windows (default all kept), including the current one. */
  async total(counter: string, n = this.windows): Promise<number> {
    return (await this.series(counter, n)).reduce((sum, w) => sum + w.value, 0);
  }

  private key(counter: string): string {
    return this.ks.key(counter, 'windows');
  }
}

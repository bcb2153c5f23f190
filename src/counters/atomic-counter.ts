import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertPositiveInteger } from '../core/validation.js';
import { windowIncrementScript, windowReadScript } from './scripts.js';
import { instrument } from './telemetry.js';

/**
 * Most windows an {@link AtomicCounter} keeps (its `windows` option), and so the most
 * {@link AtomicCounter.series} and {@link AtomicCounter.total} read in one call.
 */
export const MAX_WINDOWS = 10_000;

/** Options of {@link AtomicCounter}. */
export interface AtomicCounterOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Length of one window in ms (aligned to the epoch, Redis time), a positive integer. Default `60_000` (a minute). */
  windowMs?: number;
  /**
   * Windows kept, 1 to {@link MAX_WINDOWS}; older ones are dropped and an idle counter expires
   * after `windowMs * windows`. Default `60`.
   */
  windows?: number;
}

/** One window's count. */
export interface WindowCount {
  /** Epoch ms at which the window starts. */
  start: number;
  /** The counter's total in this window (after the increment, for `increment`); `0` for a window with no increments. */
  value: number;
}

interface Resolved {
  connection: RedisConnection;
  windowMs: number;
  windows: number;
}

function resolveOptions(options: AtomicCounterOptions): Resolved {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const windowMs = options.windowMs ?? 60_000;
  const windows = options.windows ?? 60;
  assertPositiveInteger('windowMs', windowMs);
  assertPositiveInteger('windows', windows);
  if (windows > MAX_WINDOWS) throw new ValidationError('windows', `must be at most ${MAX_WINDOWS}, got ${windows}`);
  return { connection: toConnection(options.connection), windowMs, windows };
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
  private readonly telemetry: TelemetryAttributes;
  private readonly options: Resolved;
  private readonly connection: RedisConnection;
  private readonly ks: KeySpace;

  constructor(options: AtomicCounterOptions) {
    this.options = resolveOptions(options);
    this.connection = this.options.connection;
    this.ks = this.connection.keys('counters', { durable: true });
    this.telemetry = { kind: 'atomic' };
  }

  /** Adds `amount` (a safe integer, may be negative) to the current window. Returns that window's new count. */
  async increment(counter: string, amount = 1): Promise<WindowCount> {
    return instrument.trace('increment', this.telemetry, counter, async () => {
      assertKeyPart('counter', counter);
      if (!Number.isSafeInteger(amount)) throw new ValidationError('amount', `must be a safe integer, got ${amount}`);
      return this.connection.run(windowIncrementScript, [this.key(counter)], [amount, this.options.windowMs, this.options.windows]);
    });
  }

  /** Counts of the latest `n` windows (1 to `windows`, default all kept), newest first; the first is the current window. */
  async series(counter: string, n = this.options.windows): Promise<WindowCount[]> {
    return instrument.trace('series', this.telemetry, counter, async () => {
      const { start, values } = await this.read(counter, n);
      return values.map((value, i) => ({ start: start - i * this.options.windowMs, value }));
    });
  }

  /** Sum of the latest `n` windows (1 to `windows`, default all kept), including the current one. */
  async total(counter: string, n = this.options.windows): Promise<number> {
    return instrument.trace('total', this.telemetry, counter, async () => {
      const { values } = await this.read(counter, n);
      let sum = 0;
      for (const value of values) sum += value;
      return sum;
    });
  }

  private async read(counter: string, n: number) {
    assertKeyPart('counter', counter);
    assertPositiveInteger('n', n);
    if (n > this.options.windows) throw new ValidationError('n', `must be at most windows (${this.options.windows}), got ${n}`);
    return this.connection.run(windowReadScript, [this.key(counter)], [this.options.windowMs, n]);
  }

  private key(counter: string): string {
    return this.ks.key(counter, 'windows');
  }
}

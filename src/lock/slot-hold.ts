import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import type { KeySpace } from '../core/keys.js';
import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';
import { confirmScript, holdScript, slotStateScript, unlockScript } from './scripts.js';
import { instrument } from './telemetry.js';

const TELEMETRY = { kind: 'slot-hold' } as const;

/** Options of {@link SlotHold}. */
export interface SlotHoldOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** How long a hold lasts when `hold` gives no TTL, in ms. Default `600000` (10 minutes). */
  holdTtlMs?: number;
  /**
   * TTL of a confirmed booking in ms; `0` keeps bookings until deleted (they are records,
   * e.g. of an appointment). Default `0`.
   */
  bookingTtlMs?: number;
}

/** Outcome of {@link SlotHold.hold}. */
export interface HoldResult {
  /** True when the caller now holds the slot. */
  held: boolean;
  /** `held` by the caller, `taken` (held by another holder) or `booked` (confirmed). */
  state: 'held' | 'taken' | 'booked';
  /** Who holds or booked the slot (the caller when `held`). */
  holderId: string;
  /** Remaining ms of the hold (or booking; `-1` for a booking without TTL). */
  expiresInMs: number;
}

/** Outcome of {@link SlotHold.confirm}. */
export interface ConfirmResult {
  /** True when the slot is booked by the caller (now, or by an earlier confirm). */
  confirmed: boolean;
  /** `confirmed`, `booked` (by another holder) or `not-held` (the caller's hold expired, was released or never existed). */
  state: 'confirmed' | 'booked' | 'not-held';
}

/** State of one slot, from {@link SlotHold.holderOf}. */
export type SlotState =
  | {
      /** Nobody holds or booked the slot. */
      state: 'free';
    }
  | {
      /** Temporarily held, or confirmed. */
      state: 'held' | 'booked';
      /** The holder. */
      holderId: string;
      /** Remaining ms (`-1` for a booking without TTL). */
      expiresInMs: number;
    };

/**
 * Temporary reservations ("hold this appointment slot for 10 minutes while the patient
 * fills in the form"): one holder per slot, holds vanish by themselves when abandoned,
 * and `confirm` turns the caller's live hold into a booking atomically. `hold`,
 * `confirm` and `release` are one `EVALSHA` each.
 */
export class SlotHold {
  /** The connection the holds live on. */
  readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly holdTtlMs: number;
  private readonly bookingTtlMs: number;

  constructor(options: SlotHoldOptions) {
    const { holdTtlMs = 600_000, bookingTtlMs = 0 } = options;
    assertPositiveInteger('holdTtlMs', holdTtlMs);
    assertNonNegativeInteger('bookingTtlMs', bookingTtlMs);
    this.connection = toConnection(options.connection);
    this.ks = this.connection.keys('lock', { durable: true });
    this.holdTtlMs = holdTtlMs;
    this.bookingTtlMs = bookingTtlMs;
  }

  /** Holds `slotId` for `holderId` if it is free (or already theirs: the hold is extended). */
  async hold(slotId: string, holderId: string, ttlMs: number = this.holdTtlMs): Promise<HoldResult> {
    assertKeyPart('slotId', slotId);
    assertKeyPart('holderId', holderId);
    assertPositiveInteger('ttlMs', ttlMs);
    return instrument.trace('hold', TELEMETRY, slotId, async (context) => {
      const reply = await this.connection.run(holdScript, this.keys(slotId), [holderId, ttlMs]);
      const state = reply.state as HoldResult['state'];
      if (context) context.outcome = state;
      return { held: state === 'held', state, holderId: reply.holderId, expiresInMs: reply.remainingMs };
    });
  }

  /** Books the slot for `holderId`, only if their hold is still alive. */
  async confirm(slotId: string, holderId: string): Promise<ConfirmResult> {
    assertKeyPart('slotId', slotId);
    assertKeyPart('holderId', holderId);
    return instrument.trace('confirm', TELEMETRY, slotId, async (context) => {
      const state = await this.connection.run(confirmScript, this.keys(slotId), [holderId, this.bookingTtlMs]);
      if (context) context.outcome = state;
      return { confirmed: state === 'confirmed', state };
    });
  }

  /** Drops `holderId`'s hold; `false` when they held nothing (never someone else's hold). */
  async release(slotId: string, holderId: string): Promise<boolean> {
    assertKeyPart('slotId', slotId);
    assertKeyPart('holderId', holderId);
    const [hold] = this.keys(slotId);
    return instrument.trace('release', TELEMETRY, slotId, async (context) => {
      const released = await this.connection.run(unlockScript, [hold], [holderId]);
      if (context) context.outcome = released ? 'released' : 'not-held';
      return released;
    });
  }

  /** Who holds or booked `slotId`, read in one consistent step. */
  async holderOf(slotId: string): Promise<SlotState> {
    assertKeyPart('slotId', slotId);
    // Stryker disable next-line ArrayDeclaration: equivalent, slot-state.lua reads no ARGV
    const reply = await this.connection.run(slotStateScript, this.keys(slotId), []);
    if (reply.state === 'free') return { state: 'free' };
    return { state: reply.state as 'held' | 'booked', holderId: reply.holderId, expiresInMs: reply.remainingMs };
  }

  private keys(slotId: string): [hold: string, booking: string] {
    return [this.ks.key(slotId, 'hold'), this.ks.key(slotId, 'booking')];
  }
}

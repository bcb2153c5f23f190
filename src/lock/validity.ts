import { randomUUID } from 'node:crypto';
import { randomId } from '../core/ids.js';
import { assertInRange, assertKeyPart, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';

/** Default share of a TTL assumed lost to clock-rate differences between client and Redis (as in Redlock). */
export const DEFAULT_DRIFT_FACTOR = 0.01;

/**
 * The local (monotonic) time until which a lock granted with `ttlMs` is surely still
 * valid, when the request that set it was sent at `sentAt`: Redis started the TTL no
 * earlier than that, minus a drift allowance of `ttlMs * driftFactor + 2` ms.
 */
export function validUntil(sentAt: number, remainingMs: number, ttlMs: number, driftFactor: number): number {
  return sentAt + remainingMs - (ttlMs * driftFactor + 2);
}

/** Monotonic clock in ms: validity must not jump with wall-clock adjustments. */
export const now = (): number => performance.now();

/** Validates the options every lock kind shares, before anything is sent. */
export function checkLockInput(resource: unknown, ttlMs: unknown, waitMs?: unknown): void {
  assertKeyPart('resource', resource);
  assertPositiveInteger('ttlMs', ttlMs);
  if (waitMs !== undefined) assertNonNegativeInteger('waitMs', waitMs);
}

/** Validates a drift factor: a share of the TTL in [0, 0.5). */
export function checkDriftFactor(value: unknown): void {
  assertInRange('driftFactor', value, 0, 0.49);
}

/**
 * A fresh owner id per acquisition: 122 random bits from `crypto.randomUUID`, which
 * draws from a cached entropy pool (cheaper on the hot path than `randomBytes`).
 */
export function ownerId(): string {
  return randomUUID();
}

/**
 * The owner ids of one waiting lock instance (FencedLock, Semaphore), `<instance>.<sequence>`:
 * unique across processes through 128 random bits, cheap per acquisition, and they tell a
 * release script which waiters are this instance's: those learn of a handoff from the reply,
 * so nothing is published for them.
 */
export class OwnerIds {
  /** The prefix every id of this instance starts with. */
  readonly instance = `${randomId()}.`;
  private sequence = 0;

  /** A new owner id. */
  next(): string {
    // Stryker disable next-line UpdateOperator: equivalent, counting down keeps the ids distinct and under the instance prefix
    this.sequence++;
    return this.instance + this.sequence.toString(36);
  }
}

/** Defaults shared by the locks that wait (FencedLock, Semaphore), validated. */
export interface WaitDefaults {
  ttlMs: number;
  waitMs: number;
  pollMs: number;
  driftFactor: number;
}

/** Applies the documented defaults (10 s TTL, 10 s wait, 250 ms poll, 0.01 drift) and validates them. */
export function waitDefaults(options: Partial<WaitDefaults>): WaitDefaults {
  const { ttlMs = 10000, waitMs = 10000, pollMs = 250, driftFactor = DEFAULT_DRIFT_FACTOR } = options;
  assertPositiveInteger('ttlMs', ttlMs);
  assertNonNegativeInteger('waitMs', waitMs);
  assertPositiveInteger('pollMs', pollMs);
  checkDriftFactor(driftFactor);
  return { ttlMs, waitMs, pollMs, driftFactor };
}

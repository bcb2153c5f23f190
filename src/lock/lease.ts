import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertPositiveInteger } from '../core/validation.js';
import { instrument } from './telemetry.js';
import { now, validUntil } from './validity.js';

/** What an owner-checked release did. */
export type ReleaseOutcome = 'released' | 'handed-off' | 'not-held';

/** What a {@link Lease} needs from the lock that granted it. */
export interface LeaseBackend {
  /** Owner-checked release: `not-held` when this owner's lock (or permit) was already gone. */
  release(owner: string): Promise<ReleaseOutcome>;
  /** Owner-checked TTL reset; true when this owner still held it. */
  extend(owner: string, ttlMs: number): Promise<boolean>;
  /** TTL used by `extend()` without an argument. */
  readonly ttlMs: number;
  /** Share of the TTL assumed lost to clock drift. */
  readonly driftFactor: number;
  /** What the lease's operations publish as attributes (`kind` of lock). */
  readonly telemetry: TelemetryAttributes;
}

/**
 * A held lock or permit. Its validity is tracked on the local monotonic clock,
 * conservatively: it counts from when the granting request was sent.
 */
export interface Lease {
  /** The locked resource (or semaphore name). */
  readonly resource: string;
  /** The random owner id this lease holds the lock under. */
  readonly owner: string;
  /** Milliseconds the lease is surely still valid for; `0` once it may have expired or was released. */
  remainingMs(): number;
  /**
   * Releases the lock if this lease still owns it (checked atomically in Redis).
   * Resolves `false`, and changes nothing, when it had already expired or passed
   * to someone else.
   */
  release(): Promise<boolean>;
  /**
   * Resets the TTL to `ttlMs` (default: the TTL it was acquired with) if this lease
   * still owns the lock. Resolves `false` when it no longer does (never extends
   * someone else's lock); the lease is then no longer valid.
   */
  extend(ttlMs?: number): Promise<boolean>;
}

/** A held {@link FencedLock}: a {@link Lease} with its fencing token. */
export interface FencedLease extends Lease {
  /**
   * Fencing token: strictly greater than every token handed out before for this
   * resource. Pass it with every write the lock protects; stores reject lower ones.
   */
  readonly token: number;
}

/** What the function given to `using` receives. */
export interface LockContext {
  /** Aborts with `LockLostError` as soon as the lock can no longer be trusted. */
  readonly signal: AbortSignal;
  /** The lease being held (and extended) while the function runs. */
  readonly lease: Lease;
}

/** What the function given to `FencedLock.using` receives: a {@link LockContext} with the fencing token. */
export interface FencedLockContext extends LockContext {
  /** The fencing token of this acquisition: pass it with every write the lock protects. */
  readonly token: number;
  readonly lease: FencedLease;
}

/** The lease a lock hands out: validity on the local monotonic clock, release and extend through its lock. */
export class HeldLease implements Lease {
  private validUntilMs: number;
  private released = false;
  private readonly acquiredAt = now();

  constructor(
    /** The locked resource (or semaphore name). */
    readonly resource: string,
    /** The random owner id this lease holds the lock under. */
    readonly owner: string,
    validUntilMs: number,
    private readonly backend: LeaseBackend,
  ) {
    this.validUntilMs = validUntilMs;
  }

  remainingMs(): number {
    if (this.released) return 0;
    return Math.max(0, this.validUntilMs - now());
  }

  async release(): Promise<boolean> {
    this.released = true;
    const heldMs = now() - this.acquiredAt;
    const outcome = await instrument.trace('release', this.backend.telemetry, this.resource, async (context) => {
      const outcome = await this.backend.release(this.owner);
      if (context) {
        context.outcome = outcome;
        context.measurements = { heldMs };
      }
      return outcome;
    });
    return outcome !== 'not-held';
  }

  async extend(ttlMs: number = this.backend.ttlMs): Promise<boolean> {
    assertPositiveInteger('ttlMs', ttlMs);
    if (this.released) return false;
    const sentAt = now();
    const ok = await instrument.trace('extend', this.backend.telemetry, this.resource, async (context) => {
      const ok = await this.backend.extend(this.owner, ttlMs);
      if (context) context.outcome = ok ? 'extended' : 'lost';
      return ok;
    });
    this.validUntilMs = ok ? validUntil(sentAt, ttlMs, ttlMs, this.backend.driftFactor) : 0;
    return ok && this.remainingMs() > 0;
  }
}

/** A {@link HeldLease} of a `FencedLock`, with its fencing token. */
export class HeldFencedLease extends HeldLease implements FencedLease {
  constructor(
    resource: string,
    owner: string,
    readonly token: number,
    validUntilMs: number,
    backend: LeaseBackend,
  ) {
    super(resource, owner, validUntilMs, backend);
  }
}

import { sleep } from '../core/async.js';
import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import { assertNonNegativeInteger, assertPositiveInteger, assertSignal } from '../core/validation.js';
import { LockNotAcquiredError } from './errors.js';
import { holdWhile } from './hold-while.js';
import { HeldLease, type Lease, type LeaseBackend, type LockContext } from './lease.js';
import { extendScript, unlockScript } from './scripts.js';
import { tracedAcquire } from './telemetry.js';
import { checkDriftFactor, checkLockInput, DEFAULT_DRIFT_FACTOR, now, ownerId, validUntil } from './validity.js';

const TELEMETRY = { kind: 'redlock' } as const;

/** Options of {@link Redlock}. */
export interface RedlockOptions {
  /**
   * One connection per independent Redis server (not replicas of each other, not one
   * cluster): usually 3 or 5. Keep each connection's `commandTimeoutMs` well below the TTL.
   */
  connections: ConnectionLike[];
  /** Lock TTL in ms when an acquire call gives none. Default `10000`. */
  ttlMs?: number;
  /** Further attempts after a failed one. Default `10`. */
  retryCount?: number;
  /** Pause between attempts in ms, before jitter. Default `200`. */
  retryDelayMs?: number;
  /** Up to this many ms added at random to each pause, so contenders retry apart. Default `100`. */
  retryJitterMs?: number;
  /** Share of the TTL assumed lost to clock drift between the servers. Default `0.01` (plus 2 ms). */
  driftFactor?: number;
}

/** Per-call options of {@link Redlock.acquire}. */
export interface RedlockAcquireOptions {
  /** TTL of this lock in ms. Default: the Redlock's `ttlMs`. */
  ttlMs?: number;
  /** Further attempts after a failed one. Default: the Redlock's `retryCount`. */
  retryCount?: number;
  /** Stops retrying (rejecting with the signal's reason) when aborted. */
  signal?: AbortSignal;
}

/**
 * The Redlock algorithm over N independent Redis servers: a lock is held when a
 * majority (N/2+1) granted it and the validity left (TTL minus the time acquisition
 * took minus clock drift) is positive; otherwise it is released on every server and
 * retried with jitter. It carries no fencing token (see the module docs): use
 * {@link FencedLock} when correctness, not only efficiency, depends on the lock.
 */
export class Redlock {
  private readonly connections: RedisConnection[];
  private readonly quorum: number;
  private readonly ttlMs: number;
  private readonly retryCount: number;
  private readonly retryDelayMs: number;
  private readonly retryJitterMs: number;
  private readonly driftFactor: number;

  constructor(options: RedlockOptions) {
    const { ttlMs = 10000, retryCount = 10, retryDelayMs = 200, retryJitterMs = 100, driftFactor = DEFAULT_DRIFT_FACTOR } = options;
    if (!Array.isArray(options.connections) || options.connections.length === 0) {
      throw new ValidationError('connections', 'must list at least one independent server');
    }
    assertPositiveInteger('ttlMs', ttlMs);
    assertNonNegativeInteger('retryCount', retryCount);
    assertNonNegativeInteger('retryDelayMs', retryDelayMs);
    assertNonNegativeInteger('retryJitterMs', retryJitterMs);
    checkDriftFactor(driftFactor);
    this.connections = options.connections.map(toConnection);
    this.quorum = Math.floor(this.connections.length / 2) + 1;
    this.ttlMs = ttlMs;
    this.retryCount = retryCount;
    this.retryDelayMs = retryDelayMs;
    this.retryJitterMs = retryJitterMs;
    this.driftFactor = driftFactor;
  }

  /** One attempt (no retries); resolves `null` when no majority granted the lock in time. */
  async tryAcquire(resource: string, options: { ttlMs?: number } = {}): Promise<Lease | null> {
    const ttlMs = options.ttlMs ?? this.ttlMs;
    checkLockInput(resource, ttlMs);
    return tracedAcquire('tryAcquire', TELEMETRY, resource, async () => (await this.attempt(resource, ownerId(), ttlMs)).lease);
  }

  /**
   * Acquires the lock on a majority, retrying up to `retryCount` times. Rejects with
   * {@link LockNotAcquiredError} (its `cause` lists server errors of the last attempt)
   * when every attempt failed.
   */
  async acquire(resource: string, options: RedlockAcquireOptions = {}): Promise<Lease> {
    const { ttlMs = this.ttlMs, retryCount = this.retryCount, signal } = options;
    checkLockInput(resource, ttlMs);
    assertNonNegativeInteger('retryCount', retryCount);
    assertSignal('signal', signal);
    signal?.throwIfAborted();
    return tracedAcquire('acquire', TELEMETRY, resource, () => this.retry(resource, ttlMs, retryCount, signal));
  }

  private async retry(resource: string, ttlMs: number, retryCount: number, signal: AbortSignal | undefined): Promise<Lease> {
    const owner = ownerId();
    // Stryker disable next-line ArrayDeclaration: equivalent, the first attempt (there always is one) overwrites it before it is read
    let errors: unknown[] = [];
    for (let attempt = 0; attempt <= retryCount; attempt++) {
      if (attempt > 0) await sleep(this.retryDelayMs + Math.random() * this.retryJitterMs, signal);
      const result = await this.attempt(resource, owner, ttlMs);
      if (result.lease) return result.lease;
      errors = result.errors;
    }
    const cause = errors.length ? new AggregateError(errors, 'server errors of the last attempt') : undefined;
    throw new LockNotAcquiredError(resource, `no majority of ${this.connections.length} servers after ${retryCount + 1} attempts`, {
      cause,
    });
  }

  /** Acquires, runs `fn({ signal, lease })` while extending on a majority, always releases (see {@link FencedLock.using}). */
  async using<T>(resource: string, fn: (context: LockContext) => Promise<T>, options: RedlockAcquireOptions = {}): Promise<T> {
    const lease = await this.acquire(resource, options);
    return holdWhile(lease, options.ttlMs ?? this.ttlMs, TELEMETRY, (signal) => fn({ signal, lease }));
  }

  private async attempt(resource: string, owner: string, ttlMs: number): Promise<{ lease: Lease | null; errors: unknown[] }> {
    const sentAt = now();
    const results = await Promise.allSettled(
      this.connections.map((c) => {
        const key = this.key(c, resource);
        return c.send(['SET', key, owner, 'NX', 'PX', ttlMs], key);
      }),
    );
    const granted = results.filter((r) => r.status === 'fulfilled' && r.value === 'OK').length;
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    const until = validUntil(sentAt, ttlMs, ttlMs, this.driftFactor);
    const backend = this.backend(resource, ttlMs);
    if (granted >= this.quorum && until > now()) return { lease: new HeldLease(resource, owner, until, backend), errors };
    // Not held: undo the partial grants on every server (a late SET may still land). Sent, not awaited:
    // a server that failed this round would make the caller wait out its timeout a second time, and
    // a retry's SET follows the release on the same connection, so it cannot overtake it.
    backend.release(owner).catch(() => {});
    return { lease: null, errors };
  }

  private key(connection: RedisConnection, resource: string): string {
    return connection.keys('lock', { durable: true }).key(resource, 'redlock');
  }

  private backend(resource: string, ttlMs: number): LeaseBackend {
    const onAll = async (fn: (c: RedisConnection, key: string) => Promise<boolean>) => {
      const results = await Promise.allSettled(this.connections.map((c) => fn(c, this.key(c, resource))));
      return results.filter((r) => r.status === 'fulfilled' && r.value === true).length >= this.quorum;
    };
    return {
      ttlMs,
      driftFactor: this.driftFactor,
      telemetry: TELEMETRY,
      release: async (owner) => ((await onAll((c, key) => c.run(unlockScript, [key], [owner]))) ? 'released' : 'not-held'),
      extend: (owner, ttl) => onAll((c, key) => c.run(extendScript, [key], [owner, ttl])),
    };
  }
}

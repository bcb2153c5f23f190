import { backoffDelay, sleep } from '../core/async.js';
import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import type { KeySpace } from '../core/keys.js';
import { assertPositiveInteger } from '../core/validation.js';
import { LockNotAcquiredError } from './errors.js';
import { holdWhile } from './hold-while.js';
import { HeldLease, type Lease, type LeaseBackend, type LockContext } from './lease.js';
import { semaphoreAcquireScript, semaphoreRefreshScript, semaphoreReleaseScript } from './scripts.js';
import { tracedAcquire } from './telemetry.js';
import { checkLockInput, now, ownerId, validUntil, waitDefaults } from './validity.js';
import { Wakeups } from './wakeups.js';

const TELEMETRY = { kind: 'semaphore' } as const;

/** Options of {@link Semaphore}. */
export interface SemaphoreOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** How many holders may hold a permit of one semaphore name at once. Use the same limit everywhere for a name. */
  limit: number;
  /** Permit TTL in ms when an acquire call gives none. Default `10000`. */
  ttlMs?: number;
  /** How long `acquire` waits for a free permit, in ms. Default `10000`. */
  waitMs?: number;
  /**
   * Fallback re-check interval of a waiter, in ms (jittered, never later than the earliest
   * holder's expiry). Waiters are normally woken by a release. Default `250`.
   */
  pollMs?: number;
  /** Share of the TTL assumed lost to clock drift. Default `0.01` (plus 2 ms). */
  driftFactor?: number;
}

/** Per-call options of {@link Semaphore.acquire}. */
export interface SemaphoreAcquireOptions {
  /** TTL of this permit in ms. Default: the semaphore's `ttlMs`. */
  ttlMs?: number;
  /** Total time to wait in ms; `0` tries once. Default: the semaphore's `waitMs`. */
  waitMs?: number;
  /** Stops waiting (rejecting with the signal's reason) when aborted. */
  signal?: AbortSignal;
}

/**
 * A counting semaphore: at most `limit` holders of a name at once, each permit with a
 * TTL measured in Redis time (one sorted set; acquire, release and refresh are one
 * `EVALSHA` each). Releases wake local waiters over pub/sub.
 *
 * @example
 * const fax = new Semaphore({ connection, limit: 3 });
 * await fax.using('fax-line', async (signal) => sendFax(signal));
 */
export class Semaphore {
  /** The connection the semaphore runs on. */
  readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly wakeups: Wakeups;
  private readonly limit: number;
  private readonly ttlMs: number;
  private readonly waitMs: number;
  private readonly pollMs: number;
  private readonly driftFactor: number;

  constructor(options: SemaphoreOptions) {
    assertPositiveInteger('limit', options.limit);
    const { ttlMs, waitMs, pollMs, driftFactor } = waitDefaults(options);
    this.connection = toConnection(options.connection);
    this.ks = this.connection.keys('lock');
    this.wakeups = new Wakeups(this.connection);
    this.limit = options.limit;
    this.ttlMs = ttlMs;
    this.waitMs = waitMs;
    this.pollMs = pollMs;
    this.driftFactor = driftFactor;
  }

  /** Takes a permit if one is free, in one `EVALSHA`; resolves `null` otherwise. */
  async tryAcquire(name: string, options: { ttlMs?: number } = {}): Promise<Lease | null> {
    const ttlMs = options.ttlMs ?? this.ttlMs;
    checkLockInput(name, ttlMs);
    return tracedAcquire('tryAcquire', TELEMETRY, name, async () => (await this.attempt(name, ownerId(), ttlMs)).lease);
  }

  /**
   * Takes a permit, waiting up to `waitMs`. Rejects with {@link LockNotAcquiredError}
   * when none frees up in time, with the signal's reason when aborted, with a typed
   * Redis error when Redis fails.
   */
  async acquire(name: string, options: SemaphoreAcquireOptions = {}): Promise<Lease> {
    const { ttlMs = this.ttlMs, waitMs = this.waitMs, signal } = options;
    checkLockInput(name, ttlMs, waitMs);
    signal?.throwIfAborted();
    return tracedAcquire('acquire', TELEMETRY, name, () => this.wait(name, ttlMs, waitMs, signal));
  }

  private async wait(name: string, ttlMs: number, waitMs: number, signal: AbortSignal | undefined): Promise<Lease> {
    const owner = ownerId();
    const deadline = now() + waitMs;
    let result = await this.attempt(name, owner, ttlMs);
    if (result.lease) return result.lease;
    if (waitMs === 0) throw new LockNotAcquiredError(name, `all ${this.limit} permits are held`);
    const listener = this.wakeups.listen(this.ks.key(name, 'released'), () => true, true);
    try {
      // Once subscribed, try again: a release may have come before the subscription did.
      await Promise.race([listener.ready, sleep(Math.min(this.pollMs, Math.max(0, deadline - now())), signal)]);
      for (;;) {
        result = await this.attempt(name, owner, ttlMs);
        if (result.lease) return result.lease;
        const left = deadline - now();
        if (left <= 0) break;
        const pause = backoffDelay(1, { baseMs: Math.max(1, Math.min(result.retryInMs, this.pollMs)) });
        await listener.next(Math.min(pause, left), signal);
      }
    } finally {
      listener.close();
    }
    throw new LockNotAcquiredError(name, `no permit of ${this.limit} freed up within ${waitMs} ms`);
  }

  /** Acquires a permit, runs `fn({ signal, lease })` while refreshing it, always releases (see {@link FencedLock.using}). */
  async using<T>(name: string, fn: (context: LockContext) => Promise<T>, options: SemaphoreAcquireOptions = {}): Promise<T> {
    const lease = await this.acquire(name, options);
    return holdWhile(lease, options.ttlMs ?? this.ttlMs, TELEMETRY, (signal) => fn({ signal, lease }));
  }

  private async attempt(name: string, owner: string, ttlMs: number): Promise<{ lease: Lease | null; retryInMs: number }> {
    const holders = this.ks.key(name, 'holders');
    const sentAt = now();
    const reply = await this.connection.run(semaphoreAcquireScript, [holders], [owner, this.limit, ttlMs]);
    if (!reply.granted) return { lease: null, retryInMs: Math.max(0, reply.value) };
    const until = validUntil(sentAt, ttlMs, ttlMs, this.driftFactor);
    const lease = new HeldLease(name, owner, until, this.backend(name, ttlMs));
    if (until > now()) return { lease, retryInMs: 0 };
    // Granted too late to be of use: give it back rather than hand out an expired permit.
    await lease.release().catch(() => false);
    return { lease: null, retryInMs: 0 };
  }

  private backend(name: string, ttlMs: number): LeaseBackend {
    const connection = this.connection;
    const holders = this.ks.key(name, 'holders');
    const channel = this.ks.key(name, 'released');
    return {
      ttlMs,
      driftFactor: this.driftFactor,
      telemetry: TELEMETRY,
      release: async (owner) => ((await connection.run(semaphoreReleaseScript, [holders, channel], [owner])) ? 'released' : 'not-held'),
      extend: (owner, ttl) => connection.run(semaphoreRefreshScript, [holders], [owner, ttl]),
    };
  }
}

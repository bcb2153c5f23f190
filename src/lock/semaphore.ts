import { type CallOptions, type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { type Durability, durableCalls } from '../core/durability.js';
import type { KeySpace } from '../core/keys.js';
import { publishFlag } from '../core/pubsub.js';
import { assertPositiveInteger, assertSignal } from '../core/validation.js';
import { unconfirmedReleased } from './durability.js';
import { LockNotAcquiredError } from './errors.js';
import type { FencedLockOptions } from './fenced-lock.js';
import { holdWhile } from './hold-while.js';
import { HeldLease, type Lease, type LeaseBackend, type LockContext } from './lease.js';
import { type QueuedWaitSettings, waitInQueue } from './queued-wait.js';
import { semaphoreAcquireScript, semaphoreRefreshScript, semaphoreReleaseScript } from './scripts.js';
import { tracedAcquire } from './telemetry.js';
import { checkLockInput, now, OwnerIds, validUntil, waitDefaults } from './validity.js';
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
  /**
   * Permits and refreshes count only once `replicas` replicas confirmed them within `waitMs`;
   * otherwise the permit is given back and the call rejects with `ReplicationError`, so a
   * failover cannot let more than `limit` holders in (see {@link FencedLockOptions.durability}).
   * Default: none.
   */
  durability?: Durability;
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
 * `EVALSHA` each). Waiters are served in FIFO order: a release hands its permit straight
 * to the longest-waiting live waiter, which learns it from one pub/sub message.
 *
 * @example
 * const fax = new Semaphore({ connection, limit: 3 });
 * await fax.using('fax-line', async ({ signal }) => sendFax(signal));
 */
export class Semaphore {
  /** The connection the semaphore runs on. */
  readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly wakeups: Wakeups;
  private readonly limit: number;
  private readonly ttlMs: number;
  private readonly waitMs: number;
  private readonly driftFactor: number;
  private readonly durable: CallOptions | undefined;
  private readonly owners = new OwnerIds();
  private readonly waiting: QueuedWaitSettings;

  constructor(options: SemaphoreOptions) {
    assertPositiveInteger('limit', options.limit);
    const { ttlMs, waitMs, pollMs, driftFactor } = waitDefaults(options);
    this.connection = toConnection(options.connection);
    this.ks = this.connection.keys('lock', { durable: true });
    this.wakeups = new Wakeups(this.connection);
    this.limit = options.limit;
    this.ttlMs = ttlMs;
    this.waitMs = waitMs;
    this.driftFactor = driftFactor;
    this.durable = durableCalls(options.durability);
    this.waiting = { wakeups: this.wakeups, pollMs, driftFactor, durable: this.durable !== undefined };
  }

  /** Takes a permit if one is free, in one `EVALSHA`; resolves `null` otherwise. */
  async tryAcquire(name: string, options: { ttlMs?: number } = {}): Promise<Lease | null> {
    const ttlMs = options.ttlMs ?? this.ttlMs;
    checkLockInput(name, ttlMs);
    return tracedAcquire(
      'tryAcquire',
      TELEMETRY,
      name,
      async () => (await this.attempt(name, this.keysOf(name), this.owners.next(), ttlMs, '', 0)).lease,
    );
  }

  /**
   * Takes a permit, waiting up to `waitMs`. Rejects with {@link LockNotAcquiredError}
   * when none frees up in time, with the signal's reason when aborted, with a typed
   * Redis error when Redis fails.
   */
  async acquire(name: string, options: SemaphoreAcquireOptions = {}): Promise<Lease> {
    const { ttlMs = this.ttlMs, waitMs = this.waitMs, signal } = options;
    checkLockInput(name, ttlMs, waitMs);
    assertSignal('signal', signal);
    signal?.throwIfAborted();
    return tracedAcquire('acquire', TELEMETRY, name, () => this.wait(name, ttlMs, waitMs, signal));
  }

  private wait(name: string, ttlMs: number, waitMs: number, signal: AbortSignal | undefined): Promise<Lease> {
    const keys = this.keysOf(name);
    const owner = this.owners.next();
    const member = `${ttlMs}|${waitMs}|${owner}`;
    return waitInQueue(
      this.waiting,
      {
        name,
        channel: keys.channel,
        // A grant to us is announced as our owner id.
        isGrant: (message) => message === owner,
        attempt: (queued) => this.attempt(name, keys, owner, ttlMs, queued ? member : '', queued ? waitMs : 0),
        granted: (_message, until) => new HeldLease(name, owner, until, this.backend(keys, ttlMs)),
        giveUp: () => this.giveUp(keys, owner, member),
        refusal: (waited) => (waited ? `no permit of ${this.limit} freed up within ${waitMs} ms` : `all ${this.limit} permits are held`),
      },
      ttlMs,
      waitMs,
      signal,
    );
  }

  /** Acquires a permit, runs `fn({ signal, lease })` while refreshing it, always releases (see {@link FencedLock.using}). */
  async using<T>(name: string, fn: (context: LockContext) => Promise<T>, options: SemaphoreAcquireOptions = {}): Promise<T> {
    const lease = await this.acquire(name, options);
    return holdWhile(lease, options.ttlMs ?? this.ttlMs, TELEMETRY, (signal) => fn({ signal, lease }));
  }

  private keysOf(name: string): SemaphoreKeys {
    return { holders: this.ks.key(name, 'holders'), queue: this.ks.key(name, 'queue'), channel: this.ks.key(name, 'grants') };
  }

  private async attempt(
    name: string,
    keys: SemaphoreKeys,
    owner: string,
    ttlMs: number,
    member: string,
    waitMs: number,
  ): Promise<{ lease: Lease | null; retryInMs: number }> {
    const flag = publishFlag(await this.connection.shardedPubSub());
    const sentAt = now();
    const granted = this.connection.run(
      semaphoreAcquireScript,
      [keys.holders, keys.queue, keys.channel],
      [owner, this.limit, ttlMs, member, waitMs, flag],
      this.durable,
    );
    const reply = await (this.durable ? unconfirmedReleased(granted, () => this.releasePermit(keys, owner)) : granted);
    if (!reply.granted) return { lease: null, retryInMs: Math.max(0, reply.value) };
    const until = validUntil(sentAt, ttlMs, ttlMs, this.driftFactor);
    const lease = new HeldLease(name, owner, until, this.backend(keys, ttlMs));
    if (until > now()) return { lease, retryInMs: 0 };
    // Granted too late to be of use: give it back rather than hand out an expired permit.
    // Stryker disable next-line ArrowFunction,BooleanLiteral: equivalent, the value of the caught release is discarded
    await lease.release().catch(() => false);
    return { lease: null, retryInMs: 0 };
  }

  // Leaves the queue; a release may have granted us a permit just before, so give it back
  // (owner-checked: a no-op when we hold none), which passes it on to the next waiter.
  private async giveUp(keys: SemaphoreKeys, owner: string, member: string): Promise<void> {
    await this.connection.send(['ZREM', keys.queue, member], keys.queue);
    await this.releasePermit(keys, owner);
  }

  /** Gives a permit back (owner-checked), passing it on to the next waiter. */
  private async releasePermit(keys: SemaphoreKeys, owner: string): Promise<boolean> {
    const flag = publishFlag(await this.connection.shardedPubSub());
    const { released, grantedHere } = await this.connection.run(
      semaphoreReleaseScript,
      [keys.holders, keys.queue, keys.channel],
      [owner, this.limit, flag, this.owners.instance],
    );
    for (const waiter of grantedHere) this.wakeups.deliver(keys.channel, waiter);
    return released;
  }

  private backend(keys: SemaphoreKeys, ttlMs: number): LeaseBackend {
    return {
      ttlMs,
      driftFactor: this.driftFactor,
      telemetry: TELEMETRY,
      release: async (owner) => ((await this.releasePermit(keys, owner)) ? 'released' : 'not-held'),
      extend: (owner, ttl) => this.connection.run(semaphoreRefreshScript, [keys.holders], [owner, ttl], this.durable),
    };
  }
}

/** The keys of one semaphore name; one hash tag, so one cluster slot. */
interface SemaphoreKeys {
  /** Holders, scored by their expiry in Redis ms. */
  holders: string;
  /** Waiters in FIFO order, scored by their queueing time in Redis µs. */
  queue: string;
  /** Pub/sub channel on which a grant to a waiter is announced (its owner id). */
  channel: string;
}

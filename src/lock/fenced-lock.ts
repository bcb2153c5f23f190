import { type CallOptions, type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { type Durability, durableCalls } from '../core/durability.js';
import type { KeySpace } from '../core/keys.js';
import { publishFlag } from '../core/pubsub.js';
import { assertSignal } from '../core/validation.js';
import { unconfirmedReleased } from './durability.js';
import { LockNotAcquiredError } from './errors.js';
import { holdWhile } from './hold-while.js';
import { type FencedLease, type FencedLockContext, HeldFencedLease, type LeaseBackend, type ReleaseOutcome } from './lease.js';
import { checkLockSet, type FencedLeases, type LockSetContext, type MAX_LOCK_RESOURCES, takeLockSet } from './lock-set.js';
import { type QueuedWaitSettings, waitInQueue } from './queued-wait.js';
import { type ResourceKeys, resourceKeys } from './resource-keys.js';
import { type Attempt, acquireScript, extendScript, releaseScript } from './scripts.js';
import { tracedAcquire } from './telemetry.js';
import { checkLockInput, now, OwnerIds, validUntil, waitDefaults } from './validity.js';
import { Wakeups } from './wakeups.js';

/** What the function given to {@link FencedLock.usingAll} receives. */
export interface FencedLockSetContext {
  /** The fencing token of each resource, in the order the resources were given. */
  readonly tokens: readonly number[];
  /** Aborts with `LockLostError` as soon as any of the locks can no longer be trusted. */
  readonly signal: AbortSignal;
  /** The locks being held (and extended) while the function runs. */
  readonly leases: FencedLeases;
}

const TELEMETRY = { kind: 'fenced' } as const;

/** Options of {@link FencedLock}. */
export interface FencedLockOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Lock TTL in ms when an acquire call gives none. Default `10000`. */
  ttlMs?: number;
  /** How long `acquire` waits for a busy lock, in ms. Default `10000`. */
  waitMs?: number;
  /**
   * Fallback re-check interval of a waiter, in ms (jittered, and never later than the
   * holder's remaining TTL). Waiters are normally handed the lock by the release itself;
   * this only matters when a wake-up message is lost. Default `250`.
   */
  pollMs?: number;
  /** Share of the TTL assumed lost to clock drift when computing validity. Default `0.01` (plus 2 ms). */
  driftFactor?: number;
  /**
   * Grants and extensions count only once `replicas` replicas confirmed them within
   * `waitMs` (`WAIT` in the same round trip); otherwise the grant is given back and the call
   * rejects with `ReplicationError`. With it, a failover that promotes a confirming replica
   * can neither repeat a fencing token nor grant the lock to a second holder. A handoff to a
   * waiter costs one more round trip (the waiter confirms it), and each `WAIT` holds the
   * connection until replicas answer: give the lock a connection of its own when others
   * share it. Default: none (replication is asynchronous; see the reliability guide).
   */
  durability?: Durability;
}

/** Per-call options of {@link FencedLock.acquire}. */
export interface FencedAcquireOptions {
  /** TTL of this lock in ms. Default: the lock's `ttlMs`. */
  ttlMs?: number;
  /** Total time to wait in ms; `0` tries once. Default: the lock's `waitMs`. */
  waitMs?: number;
  /** Stops waiting (rejecting with the signal's reason) when aborted. */
  signal?: AbortSignal;
}

/**
 * A mutual-exclusion lock on one Redis (or one cluster slot) whose every acquisition
 * carries a fencing token from a per-resource counter. Waiters queue in FIFO order and
 * a release hands the lock straight to the longest-waiting one, which learns it from a
 * pub/sub message: no polling storm on a hot key, no releaser winning again.
 *
 * @example
 * const locks = new FencedLock({ connection, ttlMs: 5000 });
 * await locks.using('refill:rx-42', async ({ token, signal }) => {
 *   await pharmacy.send(order, { fencingToken: token, signal });
 * });
 */
export class FencedLock {
  /** The connection the lock runs on. */
  readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly wakeups: Wakeups;
  private readonly ttlMs: number;
  private readonly waitMs: number;
  private readonly pollMs: number;
  private readonly driftFactor: number;
  private readonly durable: CallOptions | undefined;
  private readonly owners = new OwnerIds();
  private readonly waiting: QueuedWaitSettings;

  constructor(options: FencedLockOptions) {
    const { ttlMs, waitMs, pollMs, driftFactor } = waitDefaults(options);
    this.connection = toConnection(options.connection);
    this.ks = this.connection.keys('lock', { durable: true });
    this.wakeups = new Wakeups(this.connection);
    this.ttlMs = ttlMs;
    this.waitMs = waitMs;
    this.pollMs = pollMs;
    this.driftFactor = driftFactor;
    this.durable = durableCalls(options.durability);
    this.waiting = { wakeups: this.wakeups, pollMs, driftFactor, durable: this.durable !== undefined };
  }

  /**
   * Takes the lock if it is free, in one `EVALSHA`; resolves `null` when it is held.
   * Never queues.
   */
  async tryAcquire(resource: string, options: { ttlMs?: number } = {}): Promise<FencedLease | null> {
    const ttlMs = options.ttlMs ?? this.ttlMs;
    checkLockInput(resource, ttlMs);
    return tracedAcquire('tryAcquire', TELEMETRY, resource, async () => {
      const keys = resourceKeys(this.ks, resource);
      const owner = this.owners.next();
      const sentAt = now();
      const attempt = await this.attempt(keys, owner, ttlMs, '', 0);
      return attempt.granted ? this.lease(resource, keys, owner, ttlMs, attempt, sentAt) : null;
    });
  }

  /**
   * Takes the lock, waiting up to `waitMs` in the FIFO queue of the resource.
   * Rejects with {@link LockNotAcquiredError} when the wait runs out, with the
   * signal's reason when aborted, with a typed Redis error when Redis fails: never
   * resolves with a lock that is not held or whose validity already ran out.
   */
  async acquire(resource: string, options: FencedAcquireOptions = {}): Promise<FencedLease> {
    const { ttlMs = this.ttlMs, waitMs = this.waitMs, signal } = options;
    checkLockInput(resource, ttlMs, waitMs);
    assertSignal('signal', signal);
    signal?.throwIfAborted();
    return tracedAcquire('acquire', TELEMETRY, resource, () => this.wait(resource, ttlMs, waitMs, signal));
  }

  private wait(resource: string, ttlMs: number, waitMs: number, signal: AbortSignal | undefined): Promise<FencedLease> {
    const keys = resourceKeys(this.ks, resource);
    const owner = this.owners.next();
    const member = `${ttlMs}|${waitMs}|${owner}`;
    // A handoff to us is announced as "<owner id> <token>".
    const prefix = `${owner} `;
    return waitInQueue(
      this.waiting,
      {
        name: resource,
        channel: keys.channel,
        isGrant: (message) => message.startsWith(prefix),
        attempt: async (queued) => {
          const sentAt = now();
          const attempt = await this.attempt(keys, owner, ttlMs, queued ? member : '', queued ? waitMs : 0);
          if (!attempt.granted) return { lease: null, retryInMs: attempt.remainingMs };
          return { lease: await this.lease(resource, keys, owner, ttlMs, attempt, sentAt), retryInMs: 0 };
        },
        granted: (message, until) => this.held(resource, keys, owner, Number(message.slice(prefix.length)), until, ttlMs),
        giveUp: () => this.giveUp(keys, owner, member),
        refusal: (waited) => (waited ? `still held after waiting ${waitMs} ms` : 'the lock is held'),
      },
      ttlMs,
      waitMs,
      signal,
    );
  }

  /**
   * Takes the locks of every resource of `resources` (1 to {@link MAX_LOCK_RESOURCES}, distinct)
   * if all are free, in one `EVALSHA` per hash slot (one on a standalone server); resolves
   * `null`, holding none, when any is held. Each lock gets its own fencing token.
   */
  async tryAcquireAll(resources: readonly string[], options: { ttlMs?: number } = {}): Promise<FencedLeases | null> {
    const ttlMs = options.ttlMs ?? this.ttlMs;
    checkLockSet(resources, ttlMs);
    return tracedAcquire('tryAcquireAll', TELEMETRY, resources.join('\n'), async () => {
      const taken = await takeLockSet(this.setContext(), resources, ttlMs, 0, undefined);
      return 'busy' in taken ? null : taken;
    });
  }

  /**
   * Takes the locks of every resource of `resources`, all or none, waiting up to `waitMs`.
   * Resources are taken in one global order (hash slot, then name; on a standalone server all
   * in one script), so callers of `acquireAll` never deadlock one another; a busy slot is polled
   * (not queued for) while the earlier ones are held. Rejects, holding none, with
   * {@link LockNotAcquiredError} when the wait runs out, with the signal's reason when aborted,
   * with a typed Redis error when Redis fails. See docs/lock.md for the deadlock story.
   */
  async acquireAll(resources: readonly string[], options: FencedAcquireOptions = {}): Promise<FencedLeases> {
    const { ttlMs = this.ttlMs, waitMs = this.waitMs, signal } = options;
    checkLockSet(resources, ttlMs, waitMs);
    assertSignal('signal', signal);
    signal?.throwIfAborted();
    return tracedAcquire('acquireAll', TELEMETRY, resources.join('\n'), async () => {
      const taken = await takeLockSet(this.setContext(), resources, ttlMs, waitMs, signal);
      if ('busy' in taken) throw new LockNotAcquiredError(taken.busy, 'the lock is held');
      return taken;
    });
  }

  /**
   * Acquires every resource of `resources` (see {@link FencedLock.acquireAll}), runs
   * `fn({ tokens, signal, leases })` while extending all of them every third of the TTL, and
   * always releases all of them. The signal aborts with {@link LockLostError} as soon as any of
   * them is lost; `usingAll` then rejects with that error even if `fn` resolved.
   */
  async usingAll<T>(
    resources: readonly string[],
    fn: (context: FencedLockSetContext) => Promise<T>,
    options: FencedAcquireOptions = {},
  ): Promise<T> {
    const leases = await this.acquireAll(resources, options);
    return holdWhile(leases, options.ttlMs ?? this.ttlMs, TELEMETRY, (signal) => fn({ tokens: leases.tokens, signal, leases }), 'usingAll');
  }

  /**
   * Acquires `resource`, runs `fn({ token, signal, lease })` while extending the lock every
   * third of its TTL, and always releases. The signal aborts with {@link LockLostError} when
   * an extension is refused or none succeeds before the validity runs out; `using` then
   * rejects with that error even if `fn` resolved.
   */
  async using<T>(resource: string, fn: (context: FencedLockContext) => Promise<T>, options: FencedAcquireOptions = {}): Promise<T> {
    const lease = await this.acquire(resource, options);
    return holdWhile(lease, options.ttlMs ?? this.ttlMs, TELEMETRY, (signal) => fn({ token: lease.token, signal, lease }));
  }

  private setContext(): LockSetContext {
    return {
      connection: this.connection,
      keys: this.ks,
      pollMs: this.pollMs,
      driftFactor: this.driftFactor,
      telemetry: TELEMETRY,
      owner: () => this.owners.next(),
      backend: (keys, ttlMs) => this.backend(keys, ttlMs),
    };
  }

  private attempt(keys: ResourceKeys, owner: string, ttlMs: number, member: string, waitMs: number): Promise<Attempt> {
    const attempt = this.connection.run(acquireScript, [keys.lock, keys.fence, keys.queue], [owner, ttlMs, member, waitMs], this.durable);
    return this.durable ? unconfirmedReleased(attempt, () => this.release(keys, owner)) : attempt;
  }

  // Turns a grant into a lease, unless its validity already ran out (a very slow round trip):
  // then it is released at once and treated as not acquired.
  private async lease(
    resource: string,
    keys: ResourceKeys,
    owner: string,
    ttlMs: number,
    attempt: Attempt,
    sentAt: number,
  ): Promise<FencedLease | null> {
    const until = validUntil(sentAt, attempt.remainingMs, ttlMs, this.driftFactor);
    const backend = this.backend(keys, ttlMs);
    if (until > now()) return this.held(resource, keys, owner, attempt.token, until, ttlMs);
    // Stryker disable next-line ArrowFunction,StringLiteral: equivalent, the value of the caught release is discarded
    await backend.release(owner).catch(() => 'not-held');
    return null;
  }

  // The lock's value is "<owner id>|<token>": the lease owns it under that whole value.
  private held(resource: string, keys: ResourceKeys, owner: string, token: number, until: number, ttlMs: number): FencedLease {
    return new HeldFencedLease(resource, `${owner}|${token}`, token, until, this.backend(keys, ttlMs));
  }

  private backend(keys: ResourceKeys, ttlMs: number): LeaseBackend {
    const connection = this.connection;
    return {
      ttlMs,
      driftFactor: this.driftFactor,
      telemetry: TELEMETRY,
      release: (owner) => this.release(keys, owner),
      extend: (owner, ttl) => connection.run(extendScript, [keys.lock], [owner, ttl], this.durable),
    };
  }

  private async release(keys: ResourceKeys, owner: string): Promise<ReleaseOutcome> {
    const flag = publishFlag(await this.connection.shardedPubSub());
    const released = await this.connection.run(
      releaseScript,
      [keys.lock, keys.fence, keys.queue, keys.channel],
      [owner, this.owners.instance, flag],
    );
    // Handed to one of our own waiters: wake it now (release.lua published nothing for it).
    if (released.code === 2) this.wakeups.deliver(keys.channel, `${released.nextOwner} ${released.token}`);
    return released.code === 2 ? 'handed-off' : released.code === 1 ? 'released' : 'not-held';
  }

  // Leaves the queue; a release may have handed us the lock just before, so release it
  // onwards (owner-checked: a no-op when it is not ours).
  private async giveUp(keys: ResourceKeys, owner: string, member: string): Promise<void> {
    await this.connection.send(['ZREM', keys.queue, member], keys.queue);
    await this.release(keys, owner);
  }
}

import type { Subscriber } from '../core/client/types.js';
import type { RedisConnection } from '../core/connection.js';
import { type ABSENT, Lru } from './lru.js';

// After a failed subscription, the next fill tries again at most this often.
const RESUBSCRIBE_MS = 1000;

/** What an invalidation message drops: keys (`k`, a JSON array), a tag (`t`) or everything (`c`, `clear()`). */
export type InvalidationKind = 'k' | 't' | 'c';

/** An invalidation message: `<sender id>|<kind>|<body>`, the sender's id so that it can skip its own. */
export function invalidationMessage(senderId: string, kind: InvalidationKind, body: string): string {
  return `${senderId}|${kind}|${body}`;
}

/**
 * The in-process L1 tier: a bounded LRU kept coherent with other instances over pub/sub.
 *
 * Coherence rests on three rules. A read that overlapped any invalidation this instance saw
 * does not fill L1 (the caller captures {@link LocalTier.generation} before its Redis read),
 * so a late reply cannot re-insert an old value. L1 fills nothing until the subscription to
 * every invalidation channel is confirmed (confirming it also bumps the generation, so a read
 * that started before does not fill either): an instance never holds a value whose
 * invalidation it could have missed, and need not await `ready()` to be coherent. And when the
 * pub/sub connection is lost, L1 is emptied and fills nothing until the subscriber is back and
 * every channel is confirmed again: invalidations published meanwhile are lost for good. A
 * failed subscription is retried by a later fill, at most once per second.
 */
export class LocalTier {
  /** Bumped by every invalidation this instance sees. */
  generation = 0;
  private readonly lru: Lru;
  /** Every channel's subscription was confirmed (and not given up by close). */
  private subscribed = false;
  /** The pub/sub connection is lost: set by the subscriber's `onDisconnect`, cleared by `onReconnect`. */
  private interrupted: { promise: Promise<void>; resolve: () => void } | undefined;
  private closed = false;
  private attempt: Promise<void> | undefined;
  private retryAt = 0;
  private stopWatching: (() => void) | undefined;
  private readonly onMessage = (message: string) => this.receive(message);

  constructor(
    private readonly connection: RedisConnection,
    private readonly channels: readonly string[],
    private readonly instanceId: string,
    maxEntries: number,
    private readonly ttlMs: number,
    private readonly onSubscribeFailed: (error: unknown) => void,
  ) {
    this.lru = new Lru(maxEntries);
    this.subscribe();
  }

  /**
   * Resolves once the current subscription attempt is over and, after a lost pub/sub
   * connection, once it is back (at once when neither is under way).
   */
  async ready(): Promise<void> {
    await this.attempt;
    await this.interrupted?.promise;
  }

  /** The value of `key`, or {@link ABSENT}. */
  get(key: string): unknown {
    return this.lru.get(key, Date.now());
  }

  /**
   * Holds `value` until `freshUntil` or the L1 TTL, whichever comes first (L1 never serves what
   * Redis would call stale), unless an invalidation came since `generation` was read.
   */
  fill(key: string, value: unknown, freshUntil: number, tags: readonly string[] | undefined, generation: number): void {
    if (generation !== this.generation) return;
    if (!this.subscribed || this.interrupted) {
      if (!this.subscribed && Date.now() >= this.retryAt) this.subscribe();
      return;
    }
    this.lru.set(key, value, Math.min(Date.now() + this.ttlMs, freshUntil), tags);
  }

  /** Drops keys this instance is writing or deleting. */
  invalidate(keys: readonly string[]): void {
    this.generation++;
    for (const k of keys) this.lru.delete(k);
  }

  /** Drops every entry carrying `tag`. */
  invalidateTag(tag: string): void {
    this.generation++;
    this.lru.deleteTag(tag);
  }

  /** Drops every entry (the namespace was cleared). */
  clear(): void {
    this.generation++;
    this.lru.clear();
  }

  /**
   * Stops listening and empties the tier. A subscription still under way unsubscribes as soon as
   * it completes; closing never waits for an unreachable Redis.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.drop();
    this.stopWatching?.();
    this.interrupted?.resolve();
    this.interrupted = undefined;
    if (!this.subscribed) return;
    this.subscribed = false;
    await this.unsubscribe();
  }

  /** Empties the tier; reads in flight do not fill it. */
  private drop(): void {
    this.generation++;
    this.lru.clear();
  }

  private subscribe(): void {
    if (this.attempt || this.closed) return;
    this.attempt = this.connection
      .subscriber()
      .then((sub) => {
        this.watch(sub);
        return Promise.all(this.channels.map((channel) => sub.subscribe(channel, this.onMessage)));
      })
      .then(
        () => {
          if (this.closed) return this.unsubscribe();
          // A read that started before now was not covered by the subscription.
          this.generation++;
          this.subscribed = true;
        },
        (error: unknown) => {
          this.retryAt = Date.now() + RESUBSCRIBE_MS;
          if (!this.closed) this.onSubscribeFailed(error);
        },
      )
      .finally(() => {
        this.attempt = undefined;
      });
  }

  /** Follows the shared subscriber's losses and recoveries (once per tier). */
  private watch(sub: Subscriber): void {
    if (this.stopWatching || this.closed) return;
    const stopLost = sub.onDisconnect?.(() => {
      this.drop();
      if (this.interrupted) return;
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.interrupted = { promise, resolve };
    });
    const stopBack = sub.onReconnect?.(() => {
      // Every channel is confirmed again: only reads that start from now on may fill.
      this.generation++;
      this.interrupted?.resolve();
      this.interrupted = undefined;
    });
    this.stopWatching = () => {
      stopLost?.();
      stopBack?.();
    };
  }

  private async unsubscribe(): Promise<void> {
    const sub = await this.connection.subscriber().catch(() => undefined);
    if (sub) await Promise.all(this.channels.map((channel) => sub.unsubscribe(channel, this.onMessage).catch(() => undefined)));
  }

  private receive(message: string): void {
    const a = message.indexOf('|');
    if (message.slice(0, a) === this.instanceId) return;
    const kind = message[a + 1];
    const body = message.slice(a + 3);
    this.generation++;
    if (kind === 't') this.lru.deleteTag(body);
    else if (kind === 'c') this.lru.clear();
    else if (kind === 'k') {
      try {
        for (const k of JSON.parse(body) as string[]) this.lru.delete(k);
      } catch {
        this.lru.clear(); // unreadable message: dropping everything is the safe answer
      }
    }
  }
}

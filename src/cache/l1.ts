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
 * Coherence rests on two rules. A read that overlapped any invalidation this instance saw
 * does not fill L1 (the caller captures {@link LocalTier.generation} before its Redis read),
 * so a late reply cannot re-insert an old value. And L1 fills nothing until the invalidation
 * channel's subscription is confirmed (confirming it also bumps the generation, so a read that
 * started before does not fill either): an instance never holds a value whose invalidation it
 * could have missed, and need not await `ready()` to be coherent. A failed subscription is
 * retried by a later fill, at most once per second.
 */
export class LocalTier {
  /** Bumped by every invalidation this instance sees. */
  generation = 0;
  private readonly lru: Lru;
  private live = false;
  private closed = false;
  private attempt: Promise<void> | undefined;
  private retryAt = 0;
  private readonly onMessage = (message: string) => this.receive(message);

  constructor(
    private readonly connection: RedisConnection,
    private readonly channel: string,
    private readonly instanceId: string,
    maxEntries: number,
    private readonly ttlMs: number,
    private readonly onSubscribeFailed: (error: unknown) => void,
  ) {
    this.lru = new Lru(maxEntries);
    this.subscribe();
  }

  /** Resolves once the current subscription attempt is over (at once when there is none). */
  ready(): Promise<void> {
    return this.attempt ?? Promise.resolve();
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
    if (!this.live) {
      if (Date.now() >= this.retryAt) this.subscribe();
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
    this.invalidate([]);
    this.lru.clear();
    if (!this.live) return;
    this.live = false;
    await this.unsubscribe();
  }

  private subscribe(): void {
    if (this.attempt || this.closed) return;
    this.attempt = this.connection
      .subscriber()
      .then((sub) => sub.subscribe(this.channel, this.onMessage))
      .then(
        () => {
          if (this.closed) return this.unsubscribe();
          // A read that started before now was not covered by the subscription.
          this.generation++;
          this.live = true;
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

  private async unsubscribe(): Promise<void> {
    const sub = await this.connection.subscriber().catch(() => undefined);
    await sub?.unsubscribe(this.channel, this.onMessage).catch(() => undefined);
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

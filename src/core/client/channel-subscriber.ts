import { settlesWithin } from '../time-limit.js';
import type { MessageHandler, Subscriber } from './types.js';

// A client that is disconnected queues UNSUBSCRIBE and QUIT until it reconnects, which may be never:
// closing must not wait on that.
export const CLOSE_WAIT_MS = 1000;

/**
 * The part of a {@link Subscriber} every adapter shares: many handlers per channel over one
 * Redis subscription, subscribed on the first handler and unsubscribed after the last, and
 * what happens around a lost connection. An adapter supplies the raw operations and reports
 * its connection's events with {@link ChannelSubscriber.connectionLost} and
 * {@link ChannelSubscriber.connectionReady}; the base then subscribes every channel again
 * itself (drivers do it too, but each in its own way and not always confirmed) and tells
 * `onDisconnect` / `onReconnect` listeners.
 */
export abstract class ChannelSubscriber implements Subscriber {
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  /** Per channel, Redis's answer to its subscription: every handler of the channel waits for it. */
  private readonly listening = new Map<string, Promise<void>>();
  private readonly lostListeners = new Set<() => void>();
  private readonly backListeners = new Set<() => void>();
  /** Set while the connection is lost; resolved once every channel is subscribed again. */
  private gap: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Counts losses: a resubscription that a newer loss overtook confirms nothing. */
  private losses = 0;
  private closed = false;

  constructor(readonly sharded: boolean) {}

  /** Subscribes the connection to `channel` (once per channel). */
  protected abstract listen(channel: string): Promise<void>;
  /** Unsubscribes the connection from `channel`. */
  protected abstract unlisten(channel: string): Promise<void>;
  /** Closes the pub/sub connection gracefully. */
  protected abstract disconnect(): Promise<void>;
  /** Drops the pub/sub connection at once. */
  protected abstract destroy(): void;

  /**
   * Subscribes `channels` again after a reconnect and resolves once Redis confirmed them.
   * Default: {@link ChannelSubscriber.listen} for each.
   */
  protected relisten(channels: readonly string[]): Promise<unknown> {
    return Promise.all(channels.map((c) => this.listen(c)));
  }

  /** The adapter's connection is gone: messages may be missed from now on. */
  protected connectionLost(): void {
    // Stryker disable next-line UpdateOperator: equivalent, losses is only compared for a change (a resubscription overtaken by a newer loss), which -- makes as well as ++
    this.losses++;
    if (this.gap || this.closed) return;
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.gap = { promise, resolve };
    for (const l of this.lostListeners) l();
  }

  /**
   * The adapter's connection is ready (again). After a loss, every channel is subscribed again
   * and confirmed before `onReconnect` listeners hear of it; if that fails (the connection
   * dropped again), the next ready tries again.
   */
  protected connectionReady(): void {
    const gap = this.gap;
    if (!gap || this.closed) return;
    const losses = this.losses;
    this.relisten([...this.handlers.keys()]).then(
      () => {
        if (this.gap !== gap || this.losses !== losses || this.closed) return;
        this.gap = undefined;
        gap.resolve();
        for (const l of this.backListeners) l();
      },
      () => {},
    );
  }

  /** Delivers one message to every handler of its channel. */
  protected dispatch(message: string, channel: string): void {
    for (const h of this.handlers.get(channel) ?? []) h(message, channel);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<void> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    let answer = this.listening.get(channel);
    if (!answer) {
      answer = this.listen(channel);
      this.listening.set(channel, answer);
    }
    try {
      await answer;
    } catch (err) {
      // Refused (an ACL without the channel, a lost connection): none of the channel's
      // handlers is subscribed, and the next subscribe asks Redis again.
      set.delete(handler);
      if (this.listening.get(channel) === answer) this.listening.delete(channel);
      if (set.size === 0 && this.handlers.get(channel) === set) this.handlers.delete(channel);
      throw err;
    }
    // A channel subscribed before a loss is not confirmed again until the connection is back.
    if (this.gap) await this.gap.promise;
  }

  async unsubscribe(channel: string, handler?: MessageHandler): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set) return;
    if (handler) set.delete(handler);
    else set.clear();
    if (set.size === 0) {
      this.handlers.delete(channel);
      this.listening.delete(channel);
      await settlesWithin(this.unlisten(channel), CLOSE_WAIT_MS);
    }
  }

  onDisconnect(listener: () => void): () => void {
    return listen(this.lostListeners, listener);
  }

  onReconnect(listener: () => void): () => void {
    return listen(this.backListeners, listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    // Nobody is to wait for a connection that is closing.
    this.gap?.resolve();
    this.gap = undefined;
    this.handlers.clear();
    this.listening.clear();
    this.lostListeners.clear();
    this.backListeners.clear();
    if (!(await settlesWithin(this.disconnect(), CLOSE_WAIT_MS))) this.destroy();
  }
}

function listen(set: Set<() => void>, listener: () => void): () => void {
  set.add(listener);
  return () => set.delete(listener);
}

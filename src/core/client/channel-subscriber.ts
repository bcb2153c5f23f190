import { settlesWithin } from '../time-limit.js';
import type { MessageHandler, Subscriber } from './types.js';

// A client that is disconnected queues UNSUBSCRIBE and QUIT until it reconnects, which may be never:
// closing must not wait on that.
export const CLOSE_WAIT_MS = 1000;

/**
 * The part of a {@link Subscriber} both adapters share: many handlers per channel
 * over one Redis subscription, subscribed on the first handler and unsubscribed
 * after the last. Adapters supply the three raw operations.
 */
export abstract class ChannelSubscriber implements Subscriber {
  private readonly handlers = new Map<string, Set<MessageHandler>>();

  /** Subscribes the connection to `channel` (once per channel). */
  protected abstract listen(channel: string): Promise<void>;
  /** Unsubscribes the connection from `channel`. */
  protected abstract unlisten(channel: string): Promise<void>;
  /** Closes the pub/sub connection gracefully. */
  protected abstract disconnect(): Promise<void>;
  /** Drops the pub/sub connection at once. */
  protected abstract destroy(): void;

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
    if (set.size === 1) await this.listen(channel);
  }

  async unsubscribe(channel: string, handler?: MessageHandler): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set) return;
    if (handler) set.delete(handler);
    else set.clear();
    if (set.size === 0) {
      this.handlers.delete(channel);
      await settlesWithin(this.unlisten(channel), CLOSE_WAIT_MS);
    }
  }

  async close(): Promise<void> {
    this.handlers.clear();
    if (!(await settlesWithin(this.disconnect(), CLOSE_WAIT_MS))) this.destroy();
  }
}

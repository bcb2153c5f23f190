import type { MessageHandler, Subscriber } from './types.js';

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
  /** Closes the pub/sub connection. */
  protected abstract disconnect(): Promise<void>;

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
      await this.unlisten(channel);
    }
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await this.disconnect();
  }
}

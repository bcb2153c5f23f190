import type { MessageHandler } from '../core/client/types.js';
import type { RedisConnection } from '../core/connection.js';

// How long a channel stays subscribed after its last listener left: a busy resource
// would otherwise SUBSCRIBE/UNSUBSCRIBE on every contention.
const LINGER_MS = 2000;

interface ChannelState {
  listeners: Set<Listener>;
  ready: Promise<boolean>;
  subscribed: boolean;
  handler: MessageHandler;
  linger?: NodeJS.Timeout;
}

/**
 * One waiter's view of a wake-up channel: messages it accepts are queued until it
 * reads them with {@link Listener.next}.
 */
export class Listener {
  private readonly pending: string[] = [];
  private wake: (() => void) | undefined;
  private recheckDue = false;

  constructor(
    /** Resolves `true` once the channel is subscribed, `false` if subscribing failed (waiters then only poll). */
    readonly ready: Promise<boolean>,
    readonly accepts: (message: string) => boolean,
    private readonly onClose: (listener: Listener) => void,
  ) {}

  push(message: string): void {
    this.pending.push(message);
    this.wake?.();
  }

  /**
   * Messages may have been missed (the pub/sub connection was lost and is back): the waiter
   * is to check Redis now rather than at its next poll. Its pending or next `next()` resolves
   * `undefined` at once.
   */
  recheck(): void {
    this.recheckDue = true;
    this.wake?.();
  }

  /** The next accepted message, or `undefined` after `ms` without one or when due to recheck; rejects when `signal` aborts. */
  next(ms: number, signal?: AbortSignal): Promise<string | undefined> {
    if (this.pending.length) return Promise.resolve(this.pending.shift());
    if (this.recheckDue) {
      this.recheckDue = false;
      return Promise.resolve(undefined);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wake = undefined;
      };
      const onAbort = () => {
        finish();
        // Stryker disable next-line OptionalChaining: equivalent, onAbort only runs as the signal's own listener
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        finish();
        resolve(undefined);
      }, ms);
      this.wake = () => {
        finish();
        this.recheckDue = false;
        resolve(this.pending.shift());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops listening. */
  close(): void {
    this.onClose(this);
  }
}

/**
 * Shares one subscription per channel among every local waiter of a resource, over
 * the connection's shared pub/sub connection. When that connection is back after a loss,
 * every waiter checks Redis at once: a handoff announced meanwhile was never delivered.
 */
export class Wakeups {
  private readonly channels = new Map<string, ChannelState>();
  /** Stops listening for reconnects; set while any channel is open. */
  private stopWatching: Promise<(() => void) | undefined> | undefined;

  constructor(private readonly connection: RedisConnection) {}

  /** Starts listening on `channel` for messages `accepts` returns true for. */
  listen(channel: string, accepts: (message: string) => boolean): Listener {
    let state = this.channels.get(channel);
    if (!state) state = this.open(channel);
    clearTimeout(state.linger);
    state.linger = undefined;
    const s = state;
    const listener = new Listener(s.ready, accepts, (l) => this.leave(channel, s, l));
    s.listeners.add(listener);
    return listener;
  }

  /** Hands `message` to this process's listeners of `channel` as if it had arrived over pub/sub. */
  deliver(channel: string, message: string): void {
    this.channels.get(channel)?.handler(message, channel);
  }

  /**
   * True while `channel` is subscribed (other waiters, or a recent one): a new waiter
   * can then queue at once instead of first trying without queueing.
   */
  isSubscribed(channel: string): boolean {
    return this.channels.get(channel)?.subscribed === true;
  }

  private recheckAll(): void {
    for (const state of this.channels.values()) for (const l of state.listeners) l.recheck();
  }

  private open(channel: string): ChannelState {
    this.stopWatching ??= this.connection.subscriber().then(
      (sub) => sub.onReconnect?.(() => this.recheckAll()),
      () => undefined,
    );
    const listeners = new Set<Listener>();
    const handler: MessageHandler = (message) => {
      for (const l of listeners) if (l.accepts(message)) l.push(message);
    };
    const ready = this.connection
      .subscriber()
      .then((sub) => sub.subscribe(channel, handler))
      .then(
        () => {
          state.subscribed = true;
          return true;
        },
        () => {
          // Forget the failed subscription so the next waiter tries again.
          if (this.channels.get(channel) === state) this.channels.delete(channel);
          if (this.channels.size === 0) this.unwatch();
          // Stryker disable next-line BooleanLiteral: equivalent, waiters only race ready, and a forgotten state never lingers out to read it
          return false;
        },
      );
    const state: ChannelState = { listeners, ready, handler, subscribed: false };
    this.channels.set(channel, state);
    return state;
  }

  private leave(channel: string, state: ChannelState, listener: Listener): void {
    state.listeners.delete(listener);
    if (state.listeners.size > 0 || this.channels.get(channel) !== state) return;
    state.linger = setTimeout(() => {
      if (state.listeners.size > 0 || this.channels.get(channel) !== state) return;
      this.channels.delete(channel);
      if (this.channels.size === 0) this.unwatch();
      void state.ready
        .then(async (ok) => {
          if (ok) await (await this.connection.subscriber()).unsubscribe(channel, state.handler);
        })
        .catch(() => {});
    }, LINGER_MS);
    state.linger.unref();
  }

  private unwatch(): void {
    const stop = this.stopWatching;
    this.stopWatching = undefined;
    void stop?.then((f) => f?.());
  }
}

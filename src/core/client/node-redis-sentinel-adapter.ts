import { settlesWithin } from '../time-limit.js';
import { ChannelSubscriber, CLOSE_WAIT_MS } from './channel-subscriber.js';
import { stringify } from './node-redis-adapter.js';
import type { PipelineOptions, RedisArg, RedisClient, RedisReply, Subscriber } from './types.js';

// Structural types of node-redis' `RedisSentinel` (from `createSentinel`): every call names
// whether it is read-only first, which is what routes it to the primary (false) or a replica.
interface NodeRedisSentinelLease {
  sendCommand(isReadonly: boolean | undefined, args: RedisArg[]): Promise<unknown>;
}
interface NodeRedisSentinelMulti {
  addCommand(isReadonly: boolean | undefined, args: RedisArg[]): NodeRedisSentinelMulti;
  exec(execAsPipeline?: boolean): Promise<unknown[]>;
}
/** The members of a node-redis `RedisSentinel` the adapter uses. */
export interface NodeRedisSentinel extends NodeRedisSentinelLease {
  multi(): NodeRedisSentinelMulti;
  use<T>(fn: (lease: NodeRedisSentinelLease) => Promise<T>): Promise<T>;
  getMasterNode(): { host: string; port: number } | undefined;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  close(): Promise<void>;
  destroy(): Promise<void> | void;
}

/** True when `value` looks like a node-redis `RedisSentinel` (it has `getMasterNode` and `acquire`). */
export function isNodeRedisSentinel(value: unknown): boolean {
  const v = value as Record<string, unknown>;
  return typeof v.getMasterNode === 'function' && typeof v.acquire === 'function' && typeof v.sendCommand === 'function';
}

/**
 * Wraps a connected node-redis `RedisSentinel` without changing it. Every command goes to
 * the primary the Sentinels name now; node-redis follows a failover by itself.
 *
 * `duplicate()` cannot open a second `RedisSentinel` (node-redis keeps its options private),
 * so unless `open` is given, each command of a duplicate runs on a client leased from the
 * sentinel's primary pool for that command only: give `createSentinel` a `masterPoolSize`
 * of at least 2 when blocking reads (a queue worker) share it, or the other commands wait
 * behind each blocking read. `open` (used by `RedisConnection.connect`) makes a fresh,
 * independent sentinel per duplicate instead.
 */
export class NodeRedisSentinelClient implements RedisClient {
  readonly driver = 'node-redis' as const;
  readonly isCluster = false;

  constructor(
    readonly client: NodeRedisSentinel,
    private readonly open?: () => Promise<NodeRedisSentinel>,
  ) {}

  send(args: readonly RedisArg[], _routeKey?: string): Promise<RedisReply> {
    return this.client.sendCommand(false, stringify(args));
  }

  async pipeline(commands: readonly (readonly RedisArg[])[], options: PipelineOptions = {}): Promise<RedisReply[]> {
    const multi = this.client.multi();
    for (const c of commands) multi.addCommand(false, stringify(c));
    return multi.exec(!options.atomic);
  }

  async primaries(): Promise<RedisClient[]> {
    // The sentinel routes every non-read-only command to the current primary.
    return [this];
  }

  async duplicate(): Promise<RedisClient> {
    if (this.open) return new NodeRedisSentinelClient(await this.open(), this.open);
    return new LeasedSentinelClient(this.client);
  }

  async createSubscriber(): Promise<Subscriber> {
    // node-redis keeps one pub/sub connection per sentinel and moves it to a new primary itself.
    return new NodeRedisSentinelSubscriber(this.client);
  }

  async close(): Promise<void> {
    if (!(await settlesWithin(this.client.close(), CLOSE_WAIT_MS))) await this.client.destroy();
  }
}

/** A duplicate of a user's sentinel: each command on a client leased for it alone. */
class LeasedSentinelClient extends NodeRedisSentinelClient {
  private closed = false;

  override send(args: readonly RedisArg[]): Promise<RedisReply> {
    if (this.closed) return Promise.reject(new Error('The client is closed'));
    const list = stringify(args);
    // Stryker disable next-line BooleanLiteral: equivalent, a lease is one primary client: node-redis ignores its isReadonly
    return this.client.use((lease) => lease.sendCommand(false, list));
  }

  override async duplicate(): Promise<RedisClient> {
    return new LeasedSentinelClient(this.client);
  }

  // The sentinel is the user's: closing the duplicate only stops its own use of it.
  override async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * Subscriptions on the sentinel's own pub/sub connection, with this subscriber's listener only.
 * node-redis moves that connection to a new primary and resubscribes by itself, without an event
 * for it, so this subscriber reports no loss.
 */
class NodeRedisSentinelSubscriber extends ChannelSubscriber {
  private readonly channels = new Set<string>();
  private readonly listener = (message: string, channel: string) => this.dispatch(message, channel);

  constructor(private readonly sentinel: NodeRedisSentinel) {
    super(false);
  }

  protected async listen(channel: string): Promise<void> {
    this.channels.add(channel);
    await this.sentinel.subscribe(channel, this.listener);
  }

  protected async unlisten(channel: string): Promise<void> {
    this.channels.delete(channel);
    await this.sentinel.unsubscribe(channel, this.listener);
  }

  // Other users of the sentinel may listen on the same connection: remove only this listener.
  protected async disconnect(): Promise<void> {
    const channels = [...this.channels];
    this.channels.clear();
    await Promise.all(channels.map((c) => this.sentinel.unsubscribe(c, this.listener)));
  }

  protected destroy(): void {
    // Nothing of its own to drop: close() cleared the handlers, so a late message reaches none.
  }
}

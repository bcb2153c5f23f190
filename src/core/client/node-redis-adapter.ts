import { settlesWithin } from '../time-limit.js';
import { ChannelSubscriber, CLOSE_WAIT_MS } from './channel-subscriber.js';
import { onReconnect } from './reconnects.js';
import type { PipelineOptions, RedisArg, RedisClient, RedisReply, Subscriber, SubscriberOptions } from './types.js';

// Structural types: node-redis' own generics are heavy, and the adapter needs only these members.
type Listener = (message: string, channel: string) => void;
/** What a client and a cluster both offer for pub/sub. */
interface NodeRedisPubSub {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  subscribe(channel: string, listener: Listener): Promise<void>;
  unsubscribe(channel: string, listener?: Listener): Promise<void>;
  sSubscribe(channel: string, listener: Listener): Promise<void>;
  sUnsubscribe(channel: string, listener?: Listener): Promise<void>;
  close(): Promise<void>;
  destroy(): void;
}
interface NodeRedisSingle extends NodeRedisPubSub {
  sendCommand(args: RedisArg[]): Promise<unknown>;
  multi(): NodeRedisMulti;
  duplicate(): NodeRedisSingle;
  connect(): Promise<unknown>;
}
interface NodeRedisMulti {
  addCommand(args: RedisArg[]): NodeRedisMulti;
  exec(): Promise<unknown[]>;
}
/** A cluster's pub/sub connection to one node (`pubSubNode`, or a primary's `pubSub` for sharded channels). */
interface NodeRedisPubSubNode {
  client: { readonly isOpen: boolean; readonly isReady: boolean; once(event: 'ready', listener: () => void): unknown };
}
interface NodeRedisCluster extends NodeRedisPubSub {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: RedisArg[]): Promise<unknown>;
  multi(routing?: string): NodeRedisClusterMulti;
  duplicate(): NodeRedisCluster;
  connect(): Promise<unknown>;
  masters: { pubSub?: NodeRedisPubSubNode }[];
  pubSubNode?: NodeRedisPubSubNode;
  nodeClient(node: unknown): Promise<NodeRedisSingle> | NodeRedisSingle;
}
interface NodeRedisClusterMulti {
  addCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: RedisArg[]): NodeRedisClusterMulti;
  exec(): Promise<unknown[]>;
}

/** True when `value` looks like a node-redis cluster (it has `masters` and `nodeClient`). */
export function isNodeRedisCluster(value: unknown): boolean {
  return typeof (value as NodeRedisCluster).nodeClient === 'function' && 'masters' in (value as object);
}

/** Wraps a connected node-redis (v5) client or cluster without changing it. */
export class NodeRedisClient implements RedisClient {
  readonly driver = 'node-redis' as const;
  readonly isCluster: boolean;
  private readonly single: NodeRedisSingle | undefined;
  private readonly cluster: NodeRedisCluster | undefined;

  constructor(readonly client: unknown) {
    this.isCluster = isNodeRedisCluster(client);
    if (this.isCluster) this.cluster = client as NodeRedisCluster;
    else this.single = client as NodeRedisSingle;
  }

  send(args: readonly RedisArg[], routeKey?: string): Promise<RedisReply> {
    const list = stringify(args);
    if (this.single) return this.single.sendCommand(list);
    return (this.cluster as NodeRedisCluster).sendCommand(routeKey, false, list);
  }

  async pipeline(commands: readonly (readonly RedisArg[])[], options: PipelineOptions = {}): Promise<RedisReply[]> {
    // node-redis writes every command queued in one tick in one write, in order: commands sent
    // one by one are a pipeline already, without the cost of building a multi for it.
    if (!options.atomic) return Promise.all(commands.map((c) => this.send(c, options.routeKey)));
    if (this.single) {
      const multi = this.single.multi();
      for (const c of commands) multi.addCommand(stringify(c));
      return multi.exec();
    }
    const cluster = this.cluster as NodeRedisCluster;
    const multi = cluster.multi(options.routeKey);
    for (const c of commands) multi.addCommand(options.routeKey, false, stringify(c));
    return multi.exec();
  }

  onReconnect(listener: () => void): () => void {
    // A client given to us is connected already: every later `ready` is a reconnect. (A cluster
    // reconnects node by node, with no event for it: it has no hook.)
    const emitter = this.single as unknown as { on?: unknown; off?: unknown } | undefined;
    if (typeof emitter?.on !== 'function' || typeof emitter.off !== 'function') return () => {};
    return onReconnect(emitter as Parameters<typeof onReconnect>[0], true, listener);
  }

  async primaries(): Promise<RedisClient[]> {
    if (this.single) return [this];
    const cluster = this.cluster as NodeRedisCluster;
    return Promise.all(cluster.masters.map(async (m) => new NodeRedisClient(await cluster.nodeClient(m))));
  }

  async duplicate(): Promise<RedisClient> {
    return new NodeRedisClient(await this.connectedCopy());
  }

  async createSubscriber(options: SubscriberOptions = {}): Promise<Subscriber> {
    const copy = await this.connectedCopy();
    if (this.isCluster) return new NodeRedisClusterSubscriber(copy as unknown as NodeRedisCluster, options.sharded === true);
    return new NodeRedisSubscriber(copy, false);
  }

  private async connectedCopy(): Promise<NodeRedisSingle> {
    const source = (this.single ?? this.cluster) as NodeRedisSingle;
    const copy = source.duplicate();
    // Without a listener node-redis throws connection errors asynchronously; commands still report them.
    (copy as unknown as { on(e: string, f: (err: unknown) => void): void }).on('error', () => {});
    await copy.connect();
    return copy;
  }

  async close(): Promise<void> {
    const c = (this.single ?? this.cluster) as NodeRedisSingle;
    if (!(await settlesWithin(c.close(), CLOSE_WAIT_MS))) forceClose(c);
  }
}

/**
 * Subscriptions over a node-redis client (or, see the subclass, a cluster) of our own. A client
 * resubscribes by itself when it reconnects and emits `ready` only once Redis confirmed that, so
 * subscribing again adds nothing (the same listener is never added twice).
 */
class NodeRedisSubscriber extends ChannelSubscriber {
  private readonly listener: Listener = (message, channel) => this.dispatch(message, channel);

  constructor(
    protected readonly sub: NodeRedisPubSub,
    sharded: boolean,
  ) {
    super(sharded);
    this.watch();
  }

  protected watch(): void {
    this.sub.on('reconnecting', () => this.connectionLost());
    this.sub.on('ready', () => this.connectionReady());
  }

  protected listen(channel: string): Promise<void> {
    return this.sharded ? this.sub.sSubscribe(channel, this.listener) : this.sub.subscribe(channel, this.listener);
  }

  protected unlisten(channel: string): Promise<void> {
    return this.sharded ? this.sub.sUnsubscribe(channel, this.listener) : this.sub.unsubscribe(channel, this.listener);
  }

  protected disconnect(): Promise<void> {
    return this.sub.close();
  }

  protected destroy(): void {
    forceClose(this.sub);
  }
}

/**
 * A cluster subscribes through its own pub/sub clients (one to any node, or one per primary for
 * sharded channels), which it reports only as `node-reconnecting`, with no event when they are
 * ready again: the connection is back once each of them is ready (a client's `ready` follows its
 * confirmed resubscription).
 */
class NodeRedisClusterSubscriber extends NodeRedisSubscriber {
  private readonly waiting = new WeakSet<object>();

  protected override watch(): void {
    const cluster = this.sub as NodeRedisCluster;
    const check = () => {
      const clients = [cluster.pubSubNode, ...cluster.masters.map((m) => m.pubSub)].map((n) => n?.client);
      let ready = true;
      for (const client of clients) {
        if (!client?.isOpen || client.isReady) continue;
        ready = false;
        if (this.waiting.has(client)) continue;
        this.waiting.add(client);
        client.once('ready', () => {
          this.waiting.delete(client);
          check();
        });
      }
      if (ready) this.connectionReady();
    };
    cluster.on('node-reconnecting', () => {
      this.connectionLost();
      check();
    });
    // A pub/sub client the cluster replaced (its node left) is a new client, ready once.
    cluster.on('node-ready', check);
  }
}

/** node-redis accepts only strings and Buffers as arguments. */
export function stringify(args: readonly RedisArg[]): RedisArg[] {
  // Stryker disable next-line ArrayDeclaration: equivalent, an empty array filled index by index holds the same arguments
  const out = new Array<RedisArg>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as RedisArg;
    out[i] = typeof a === 'number' ? String(a) : a;
  }
  return out;
}

// After a graceful close() that never finished (a frozen server), node-redis refuses destroy() as
// "already closed" while the socket stays open: unref it then, so it cannot keep the process alive.
function forceClose(client: { destroy(): void }): void {
  try {
    client.destroy();
  } catch {
    (client as { unref?: () => void }).unref?.();
  }
}

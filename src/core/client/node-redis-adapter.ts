import { settlesWithin } from '../time-limit.js';
import { ChannelSubscriber, CLOSE_WAIT_MS } from './channel-subscriber.js';
import { onReconnect } from './reconnects.js';
import type { PipelineOptions, RedisArg, RedisClient, RedisReply, Subscriber } from './types.js';

// Structural types: node-redis' own generics are heavy, and the adapter needs only these members.
interface NodeRedisSingle {
  sendCommand(args: RedisArg[]): Promise<unknown>;
  multi(): NodeRedisMulti;
  duplicate(): NodeRedisSingle;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
}
interface NodeRedisMulti {
  addCommand(args: RedisArg[]): NodeRedisMulti;
  exec(execAsPipeline?: boolean): Promise<unknown[]>;
}
interface NodeRedisCluster {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: RedisArg[]): Promise<unknown>;
  multi(routing?: string): NodeRedisClusterMulti;
  duplicate(): NodeRedisCluster;
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  masters: unknown[];
  nodeClient(node: unknown): Promise<NodeRedisSingle> | NodeRedisSingle;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
}
interface NodeRedisClusterMulti {
  addCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: RedisArg[]): NodeRedisClusterMulti;
  exec(execAsPipeline?: boolean): Promise<unknown[]>;
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
    const pipeline = !options.atomic;
    if (this.single) {
      const multi = this.single.multi();
      for (const c of commands) multi.addCommand(stringify(c));
      return multi.exec(pipeline);
    }
    const cluster = this.cluster as NodeRedisCluster;
    const multi = cluster.multi(options.routeKey);
    for (const c of commands) multi.addCommand(options.routeKey, false, stringify(c));
    return multi.exec(pipeline);
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

  async createSubscriber(): Promise<Subscriber> {
    return new NodeRedisSubscriber(await this.connectedCopy());
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

class NodeRedisSubscriber extends ChannelSubscriber {
  constructor(private readonly sub: NodeRedisSingle) {
    super();
  }

  protected listen(channel: string): Promise<void> {
    return this.sub.subscribe(channel, (message, ch) => this.dispatch(message, ch));
  }

  protected unlisten(channel: string): Promise<void> {
    return this.sub.unsubscribe(channel);
  }

  protected disconnect(): Promise<void> {
    return this.sub.close();
  }

  protected destroy(): void {
    forceClose(this.sub);
  }
}

/** node-redis accepts only strings and Buffers as arguments. */
export function stringify(args: readonly RedisArg[]): RedisArg[] {
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

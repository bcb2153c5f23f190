import type { Cluster, Redis } from 'ioredis';
import type { BatchOptions, MessageHandler, RedisArg, RedisClient, RedisReply, Subscriber } from './types.js';

/** Wraps an ioredis `Redis` or `Cluster` without changing it. */
export class IoredisClient implements RedisClient {
  readonly driver = 'ioredis' as const;
  readonly isCluster: boolean;
  // ioredis-mock lacks the generic `call`; it has one method per command instead.
  private readonly hasCall: boolean;

  constructor(readonly client: Redis | Cluster) {
    this.isCluster = (client as Cluster).isCluster === true;
    this.hasCall = typeof (client as Redis).call === 'function';
  }

  send(args: readonly RedisArg[], _routeKey?: string): Promise<RedisReply> {
    // ioredis routes `call` on a cluster by the command's key positions itself.
    if (this.hasCall) return (this.client.call as (...a: RedisArg[]) => Promise<unknown>).apply(this.client, args as RedisArg[]);
    const [command, ...rest] = args;
    const method = (this.client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[String(command).toLowerCase()];
    if (!method) return Promise.reject(new Error(`ERR unknown command '${String(command)}'`));
    return method.apply(this.client, rest);
  }

  async batch(commands: readonly (readonly RedisArg[])[], options: BatchOptions = {}): Promise<RedisReply[]> {
    const list = commands.map((c) => (this.hasCall ? ['call', ...c] : [String(c[0]).toLowerCase(), ...c.slice(1)]));
    const pipe = options.atomic ? this.client.multi(list) : this.client.pipeline(list);
    const results = (await pipe.exec()) ?? [];
    const out: RedisReply[] = [];
    for (const [err, value] of results) {
      if (err) throw err;
      out.push(value);
    }
    return out;
  }

  async primaries(): Promise<RedisClient[]> {
    if (!this.isCluster) return [this];
    return (this.client as Cluster).nodes('master').map((node) => new IoredisClient(node));
  }

  async duplicate(): Promise<RedisClient> {
    const copy = this.client.duplicate();
    // Commands on the copy report connection trouble themselves; this silences ioredis' own log.
    copy.on('error', () => {});
    return new IoredisClient(copy);
  }

  async createSubscriber(): Promise<Subscriber> {
    const sub = this.client.duplicate();
    // Subscribers reconnect by themselves; without a listener ioredis logs every failed attempt.
    sub.on('error', () => {});
    return new IoredisSubscriber(sub);
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

class IoredisSubscriber implements Subscriber {
  private readonly handlers = new Map<string, Set<MessageHandler>>();

  constructor(private readonly sub: Redis | Cluster) {
    sub.on('message', (channel: string, message: string) => {
      for (const h of this.handlers.get(channel) ?? []) h(message, channel);
    });
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<void> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    if (set.size === 1) await this.sub.subscribe(channel);
  }

  async unsubscribe(channel: string, handler?: MessageHandler): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set) return;
    if (handler) set.delete(handler);
    else set.clear();
    if (set.size === 0) {
      this.handlers.delete(channel);
      await this.sub.unsubscribe(channel);
    }
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}

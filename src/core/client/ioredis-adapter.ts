import type { Cluster, Redis } from 'ioredis';
import { keySlot } from '../slots.js';
import { settlesWithin } from '../time-limit.js';
import { ChannelSubscriber, CLOSE_WAIT_MS } from './channel-subscriber.js';
import { onReconnect } from './reconnects.js';
import { mayNeedReshape, toResp2Shape } from './resp2-shapes.js';
import type { PipelineOptions, RedisArg, RedisClient, RedisReply, Subscriber, SubscriberOptions } from './types.js';

/** Wraps an ioredis `Redis` or `Cluster` without changing it. */
export class IoredisClient implements RedisClient {
  readonly driver = 'ioredis' as const;
  readonly isCluster: boolean;

  constructor(readonly client: Redis | Cluster) {
    this.isCluster = (client as Cluster).isCluster === true;
  }

  send(args: readonly RedisArg[], _routeKey?: string): Promise<RedisReply> {
    // ioredis routes `call` on a cluster by the command's key positions itself.
    const reply = (this.client.call as (...a: RedisArg[]) => Promise<unknown>).apply(this.client, args as RedisArg[]);
    // ioredis 6 speaks RESP3, whose shapes of a few replies differ: modules see RESP2's.
    return mayNeedReshape(args) ? reply.then((r) => toResp2Shape(args, r)) : reply;
  }

  async pipeline(commands: readonly (readonly RedisArg[])[], options: PipelineOptions = {}): Promise<RedisReply[]> {
    const list = this.pipelineCommands(commands);
    const pipe = options.atomic ? this.client.multi(list) : this.client.pipeline(list);
    const results = (await pipe.exec()) ?? [];
    const out: RedisReply[] = [];
    for (let i = 0; i < results.length; i++) {
      const [err, value] = results[i] as [Error | null, unknown];
      if (err) throw err;
      const command = commands[i] as readonly RedisArg[];
      out.push(mayNeedReshape(command) ? toResp2Shape(command, value) : value);
    }
    return out;
  }

  /** Commands as ioredis' `pipeline()` and `multi()` take them. */
  protected pipelineCommands(commands: readonly (readonly RedisArg[])[]): unknown[][] {
    return commands.map((c) => ['call', ...c]);
  }

  /** An adapter of the same kind over another ioredis client (a cluster node, a duplicate). */
  protected wrap(client: Redis | Cluster): IoredisClient {
    return new IoredisClient(client);
  }

  onReconnect(listener: () => void): () => void {
    // ioredis emits `ready` on every (re)connection: all but the first one are reconnects.
    return onReconnect(this.client, (this.client as Redis).status === 'ready', listener);
  }

  async primaries(): Promise<RedisClient[]> {
    if (!this.isCluster) return [this];
    return (this.client as Cluster).nodes('master').map((node) => this.wrap(node));
  }

  async duplicate(): Promise<RedisClient> {
    const copy = this.client.duplicate();
    // Commands on the copy report connection trouble themselves; this silences ioredis' own log.
    copy.on('error', () => {});
    return this.wrap(copy);
  }

  async createSubscriber(options: SubscriberOptions = {}): Promise<Subscriber> {
    const sharded = options.sharded === true && this.isCluster;
    // A sharded cluster subscriber keeps one connection per primary, each for the slots it serves.
    const sub = sharded ? (this.client as Cluster).duplicate([], { shardedSubscribers: true }) : this.client.duplicate();
    // Subscribers reconnect by themselves; without a listener ioredis logs every failed attempt.
    sub.on('error', () => {});
    return new IoredisSubscriber(sub, sharded, this.isCluster);
  }

  async close(): Promise<void> {
    if (!(await settlesWithin(this.client.quit(), CLOSE_WAIT_MS))) this.client.disconnect();
  }
}

/**
 * Reconnects: a `Redis` subscriber resubscribes by itself before `ready`; a sharded `Cluster`
 * subscriber replaces the connection of a primary it lost (`-node` with that node's key) and
 * resubscribes before `subscribersReady`. A plain (not sharded) `Cluster` subscriber replaces
 * its connection without any event, so it reports no loss.
 */
class IoredisSubscriber extends ChannelSubscriber {
  constructor(
    private readonly sub: Redis | Cluster,
    sharded: boolean,
    cluster: boolean,
  ) {
    super(sharded);
    sub.on(sharded ? 'smessage' : 'message', (channel: string, message: string) => this.dispatch(message, channel));
    if (!cluster) {
      sub.on('close', () => this.connectionLost());
      sub.on('ready', () => this.connectionReady());
    } else if (sharded) {
      // Only a sharded subscriber's own connection names its node; the pool's nodes come without one.
      sub.on('-node', (_redis: unknown, nodeKey?: unknown) => {
        if (typeof nodeKey === 'string') this.connectionLost();
      });
      sub.on('subscribersReady', () => this.connectionReady());
    }
  }

  protected async listen(channel: string): Promise<void> {
    await (this.sharded ? this.sub.ssubscribe(channel) : this.sub.subscribe(channel));
  }

  protected async unlisten(channel: string): Promise<void> {
    await (this.sharded ? this.sub.sunsubscribe(channel) : this.sub.unsubscribe(channel));
  }

  // ioredis has sent its own SSUBSCRIBEs on each primary's connection before `subscribersReady`;
  // one more per primary is answered after them, so it confirms them all. (It also keeps every
  // SSUBSCRIBE in a list that grows by one entry per call: one per primary, not per channel.)
  protected override relisten(channels: readonly string[]): Promise<unknown> {
    if (!this.sharded) return super.relisten(channels);
    const slots = (this.sub as Cluster).slots;
    const perNode = new Map<string, string>();
    for (const c of channels) perNode.set(String(slots[keySlot(c)]?.[0]), c);
    return super.relisten([...perNode.values()]);
  }

  protected async disconnect(): Promise<void> {
    await this.sub.quit();
  }

  protected destroy(): void {
    this.sub.disconnect();
  }
}

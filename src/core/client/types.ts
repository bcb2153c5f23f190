/** An argument of a Redis command. */
export type RedisArg = string | number | Buffer;

/** A reply as both adapters return it: strings, integers, arrays, `null`. */
export type RedisReply = unknown;

/** Options of {@link RedisClient.pipeline}. */
export interface PipelineOptions {
  /** Run as `MULTI`/`EXEC` (all or nothing, isolated) rather than a plain pipeline. Default `false`. */
  atomic?: boolean;
  /** A key of the pipeline; on a cluster every command goes to the node owning its slot. */
  routeKey?: string;
}

/** Receives messages of one channel. */
export type MessageHandler = (message: string, channel: string) => void;

/**
 * A pub/sub connection, separate from the command connection. Its channels are either all
 * sharded (`SSUBSCRIBE`, for messages sent with `SPUBLISH`) or all global (`SUBSCRIBE`, for
 * `PUBLISH`), as chosen when it was created.
 */
export interface Subscriber {
  /** True when channels are subscribed with `SSUBSCRIBE` (sharded pub/sub on a cluster). */
  readonly sharded: boolean;
  /**
   * Subscribes `handler` to `channel`; resolves once Redis confirmed the subscription (while
   * the connection is down, once it is back and every channel is subscribed again).
   */
  subscribe(channel: string, handler: MessageHandler): Promise<void>;
  /** Removes `handler` (or every handler) from `channel`. */
  unsubscribe(channel: string, handler?: MessageHandler): Promise<void>;
  /**
   * Calls `listener` when the pub/sub connection is lost: messages published from then on
   * until {@link Subscriber.onReconnect} may never arrive. Returns a function that stops it.
   * Optional: a subscriber that cannot tell leaves it out.
   */
  onDisconnect?(listener: () => void): () => void;
  /**
   * Calls `listener` once the connection is back after a loss and Redis confirmed every
   * channel's subscription again; returns a function that stops it. Optional, like
   * {@link Subscriber.onDisconnect}.
   */
  onReconnect?(listener: () => void): () => void;
  /** Closes the pub/sub connection. */
  close(): Promise<void>;
}

/** Options of {@link RedisClient.createSubscriber}. */
export interface SubscriberOptions {
  /**
   * Subscribe with `SSUBSCRIBE` (sharded pub/sub, Redis 7.0+ and Valkey): on a cluster each
   * channel is served by the shard owning its slot. Only meaningful on a cluster. Default `false`.
   */
  sharded?: boolean;
}

/**
 * The narrow interface every module talks to: raw commands, pipelines, the cluster's
 * primaries and a pub/sub subscriber. One adapter implements it over ioredis,
 * one over node-redis; neither changes the user's client.
 */
export interface RedisClient {
  /** Which library the adapter wraps. */
  readonly driver: 'ioredis' | 'node-redis';
  /** True for a Redis Cluster client. */
  readonly isCluster: boolean;
  /**
   * Sends one command. `routeKey` picks the cluster node (ignored standalone);
   * commands without keys go to any node.
   */
  send(args: readonly RedisArg[], routeKey?: string): Promise<RedisReply>;
  /** Sends several commands in one round trip (pipeline, or `MULTI` when `atomic`). Throws the first error reply. */
  pipeline(commands: readonly (readonly RedisArg[])[], options?: PipelineOptions): Promise<RedisReply[]>;
  /** One client per primary: the client itself when standalone. Used for `SCRIPT LOAD`, `SCAN` and stats. */
  primaries(): Promise<RedisClient[]>;
  /**
   * Opens a new command connection to the same deployment, for blocking commands
   * (`BLPOP`, `XREADGROUP BLOCK`) that must not stall the shared connection.
   */
  duplicate(): Promise<RedisClient>;
  /** Opens a new pub/sub connection to the same deployment, sharded or not (see `SubscriberOptions`). */
  createSubscriber(options?: SubscriberOptions): Promise<Subscriber>;
  /**
   * Calls `listener` each time the client is ready again after losing its connection (a
   * restart, a failover), not on the first connect; returns a function that stops it. Optional:
   * an adapter that cannot tell leaves it out.
   */
  onReconnect?(listener: () => void): () => void;
  /** Closes the underlying client. Only called for clients the library created. */
  close(): Promise<void>;
}

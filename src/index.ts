/**
 * redis-patterns core: what an application needs besides the modules themselves: the
 * connection, the errors every module throws, the serializer and the client types. Each
 * pattern lives in its own subpath (`redis-patterns/lock`, `redis-patterns/rate-limit`, ...);
 * the tools for writing a module of your own are in `redis-patterns/kit`.
 *
 * @packageDocumentation
 */

export type { CreateClientOptions } from './core/client/create.js';
export type { SupportedClient } from './core/client/detect.js';
export type { MessageHandler, PipelineOptions, RedisArg, RedisClient, RedisReply, Subscriber } from './core/client/types.js';
export {
  type CallOptions,
  type ConnectionLike,
  type KeySpaceOptions,
  RedisConnection,
  type RedisConnectionEvents,
  type RedisConnectionOptions,
} from './core/connection.js';
export { type Durability, MAX_REPLICAS, MAX_WAIT_MS } from './core/durability.js';
export {
  CommandTimeoutError,
  type ErrorCode,
  RedisCommandError,
  RedisOutOfMemoryError,
  RedisPatternsError,
  RedisUnavailableError,
  ReplicationError,
  SerializationError,
  ValidationError,
} from './core/errors.js';
export { EvictionPolicyError, type EvictionReport, type NodeMemoryPolicy } from './core/eviction.js';
export { jsonSerializer, type Serializer } from './core/serializer.js';

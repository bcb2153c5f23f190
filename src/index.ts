/**
 * redis-patterns core: the connection, key space, script runner, errors,
 * serializer and validation shared by every module. Each pattern lives in its
 * own subpath (`redis-patterns/lock`, `redis-patterns/rate-limit`, ...).
 *
 * @packageDocumentation
 */

export { type BackoffOptions, backoffDelay, settlesWithin, sleep } from './core/async.js';
export type { CreateClientOptions } from './core/client/create.js';
export type { SupportedClient } from './core/client/detect.js';
export type { BatchOptions, MessageHandler, RedisArg, RedisClient, RedisReply, Subscriber } from './core/client/types.js';
export { type ConnectionLike, RedisConnection, type RedisConnectionOptions, toConnection } from './core/connection.js';
export {
  CommandTimeoutError,
  RedisCommandError,
  RedisPatternsError,
  RedisUnavailableError,
  SerializationError,
  ValidationError,
} from './core/errors.js';
export { randomId } from './core/ids.js';
export { encodeKeyPart, KeySpace } from './core/keys.js';
export { registerScriptError, toTypedError } from './core/reply-errors.js';
export { definedScripts, defineScript, LuaScript, type ScriptOptions, VARIADIC_KEYS } from './core/script.js';
export { jsonSerializer, type Serializer } from './core/serializer.js';
export {
  assertInRange,
  assertKeyPart,
  assertNonNegative,
  assertNonNegativeInteger,
  assertPositive,
  assertPositiveInteger,
  MAX_KEY_PART_BYTES,
} from './core/validation.js';

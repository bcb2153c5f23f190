import { RedisCommandError, RedisOutOfMemoryError, RedisPatternsError, RedisUnavailableError } from './errors.js';

/**
 * The typed errors of one script's Lua status codes: a script that ends with
 * `return redis.error_reply('RP_<CODE> detail')` makes the call reject with
 * `errors[CODE](detail)`. Declared with the script (see `ScriptOptions.errors`).
 */
export type ScriptErrors = Readonly<Record<string, (detail: string) => RedisPatternsError>>;

const UNAVAILABLE_NAMES = new Set([
  'ClientClosedError',
  'ClientOfflineError',
  // node-redis, for every command still waiting when its client is destroyed (closed at once).
  'DisconnectsClientError',
  'SocketClosedUnexpectedlyError',
  'ConnectionTimeoutError',
  'ReconnectStrategyError',
  'RootNodesUnavailableError',
  'MaxRetriesPerRequestError',
  'ClusterAllFailedError',
]);
// "Command aborted due to connection close": ioredis, for the rest of a pipeline whose
// connection closed after its first replies (a durable write's WAIT when the primary dies).
const UNAVAILABLE_MESSAGE =
  /Connection is closed|Command aborted due to connection close|ECONNREFUSED|ECONNRESET|EPIPE|Stream isn't writeable|enableOfflineQueue|Failed to refresh slots cache|None of startup nodes|The client is closed|Socket closed unexpectedly|Connection timeout|client is offline|CLUSTERDOWN|LOADING/i;

/** True when Redis answered `NOSCRIPT` (the script cache lacks the SHA). */
export function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/**
 * Turns whatever a client library rejected with into a redis-patterns error: the one place
 * where error replies and connection failures get their types. `errors` maps the Lua status
 * codes of the script that failed, if any.
 */
export function toTypedError(err: unknown, errors?: ScriptErrors): Error {
  if (!(err instanceof Error)) return new RedisCommandError(String(err));
  if (err instanceof RedisPatternsError) return err;
  const message = err.message;
  if (errors && message.startsWith('RP_')) {
    const space = message.indexOf(' ');
    const factory = errors[message.slice(3, space === -1 ? undefined : space)];
    if (factory) return factory(space === -1 ? '' : message.slice(space + 1));
  }
  // Redis is up and answering, only full: not an outage.
  if (message.startsWith('OOM ')) return new RedisOutOfMemoryError(message, { cause: err });
  if (UNAVAILABLE_NAMES.has(err.name) || UNAVAILABLE_NAMES.has(err.constructor.name) || UNAVAILABLE_MESSAGE.test(message)) {
    return new RedisUnavailableError(`Redis is unavailable: ${message}`, { cause: err });
  }
  return new RedisCommandError(message, { cause: err });
}

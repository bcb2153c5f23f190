import { describe, expect, it } from 'vitest';
import {
  RedisCommandError,
  RedisOutOfMemoryError,
  type RedisPatternsError,
  RedisUnavailableError,
  ValidationError,
} from '../../src/index.js';
import { toTypedError } from '../../src/kit/index.js';

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('toTypedError', () => {
  it('maps a script status reply to the script’s typed error with its detail', () => {
    const errors = {
      BUSY: (detail: string) => new ValidationError('resource', `busy: ${detail}`),
      GONE: (detail: string) => new RedisCommandError(`gone [${detail}]`),
    };
    const busy = toTypedError(new Error('RP_BUSY held by someone'), errors);
    expect(busy).toBeInstanceOf(ValidationError);
    expect(busy.message).toBe('resource: busy: held by someone');
    // A status code alone, without detail.
    expect(toTypedError(new Error('RP_GONE'), errors).message).toBe('gone []');
    // An unknown code, or no map: an untyped command error with the whole reply.
    const unknown = toTypedError(new Error('RP_OTHER x'), errors);
    expect(unknown).toBeInstanceOf(RedisCommandError);
    expect(unknown.message).toBe('RP_OTHER x');
    expect(toTypedError(new Error('RP_BUSY x'))).toBeInstanceOf(RedisCommandError);
    // Only a reply that starts with RP_ is a status reply.
    expect(toTypedError(new Error('ERR RP_BUSY x'), errors)).not.toBeInstanceOf(ValidationError);
    expect(toTypedError(new Error('XX_BUSY x'), errors)).not.toBeInstanceOf(ValidationError);
  });

  it('keeps a redis-patterns error as it is and wraps anything else', () => {
    const own = new ValidationError('x', 'y');
    expect(toTypedError(own)).toBe(own);
    const notAnError = toTypedError('plain string');
    expect(notAnError).toBeInstanceOf(RedisCommandError);
    expect(notAnError.message).toBe('plain string');
    const reply = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    const typed = toTypedError(reply);
    expect(typed).toBeInstanceOf(RedisCommandError);
    expect(typed).not.toBeInstanceOf(RedisOutOfMemoryError);
    expect(typed.message).toBe(reply.message);
    expect(typed.cause).toBe(reply);
  });

  it('tells a full Redis from an unavailable one', () => {
    const oom = new Error("OOM command not allowed when used memory > 'maxmemory'.");
    const typed = toTypedError(oom);
    expect(typed).toBeInstanceOf(RedisOutOfMemoryError);
    expect((typed as RedisPatternsError).code).toBe('REDIS_OOM');
    expect(typed.message).toBe(oom.message);
    expect(typed.cause).toBe(oom);
    expect(toTypedError(new Error('ERR OOM somewhere in the text'))).not.toBeInstanceOf(RedisOutOfMemoryError);
  });

  it('recognizes every connection failure of both clients by name or message', () => {
    const names = [
      'ClientClosedError',
      'ClientOfflineError',
      'SocketClosedUnexpectedlyError',
      'ConnectionTimeoutError',
      'ReconnectStrategyError',
      'RootNodesUnavailableError',
      'MaxRetriesPerRequestError',
      'ClusterAllFailedError',
    ];
    for (const name of names) {
      const typed = toTypedError(named(name, 'something'));
      expect(typed, name).toBeInstanceOf(RedisUnavailableError);
      expect(typed.message).toBe('Redis is unavailable: something');
      // A subclass whose constructor has the name, with the default name `Error`.
      const Sub = { [name]: class extends Error {} }[name] as new (m: string) => Error;
      expect(toTypedError(new Sub('x')), `class ${name}`).toBeInstanceOf(RedisUnavailableError);
    }
    const messages = [
      'Connection is closed.',
      'Command aborted due to connection close',
      'connect ECONNREFUSED 127.0.0.1:1',
      'read ECONNRESET',
      'write EPIPE',
      "Stream isn't writeable and enableOfflineQueue options is false",
      'enableOfflineQueue is off',
      'Failed to refresh slots cache.',
      'None of startup nodes is available',
      'The client is closed',
      'Socket closed unexpectedly',
      'Connection timeout',
      'the client is offline',
      'CLUSTERDOWN The cluster is down',
      'LOADING Redis is loading the dataset in memory',
      'connection is closed',
    ];
    for (const message of messages) {
      const cause = new Error(message);
      const typed = toTypedError(cause);
      expect(typed, message).toBeInstanceOf(RedisUnavailableError);
      expect(typed.message).toBe(`Redis is unavailable: ${message}`);
      expect(typed.cause).toBe(cause);
    }
    expect(toTypedError(named('ReplyError', 'ERR unknown command'))).not.toBeInstanceOf(RedisUnavailableError);
  });
});

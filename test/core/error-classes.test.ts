import { describe, expect, it } from 'vitest';
import {
  CommandTimeoutError,
  EvictionPolicyError,
  RedisCommandError,
  RedisOutOfMemoryError,
  RedisPatternsError,
  RedisUnavailableError,
  ReplicationError,
  SerializationError,
  ValidationError,
} from '../../src/index.js';

describe('core error classes', () => {
  it('carry their code on the instance and the class, and their own name', () => {
    const cause = new Error('underneath');
    const cases: [RedisPatternsError, { code: string }, string, string][] = [
      [new ValidationError('ttlMs', 'must be > 0'), ValidationError, 'VALIDATION', 'ValidationError'],
      [new RedisUnavailableError('down', { cause }), RedisUnavailableError, 'REDIS_UNAVAILABLE', 'RedisUnavailableError'],
      [new CommandTimeoutError(250, 'GET'), CommandTimeoutError, 'REDIS_TIMEOUT', 'CommandTimeoutError'],
      [new RedisCommandError('ERR wrong', { cause }), RedisCommandError, 'REDIS_ERROR', 'RedisCommandError'],
      [new RedisOutOfMemoryError('OOM full', { cause }), RedisOutOfMemoryError, 'REDIS_OOM', 'RedisOutOfMemoryError'],
      [new ReplicationError(1, 2), ReplicationError, 'REPLICATION', 'ReplicationError'],
      [new SerializationError('bad', { cause }), SerializationError, 'SERIALIZATION', 'SerializationError'],
    ];
    for (const [error, cls, code, name] of cases) {
      expect(error).toBeInstanceOf(RedisPatternsError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(cls.code).toBe(code);
      expect(error.name).toBe(name);
    }
    expect(EvictionPolicyError.code).toBe('EVICTION_POLICY');
  });

  it('keep the cause they were given', () => {
    const cause = new Error('underneath');
    expect(new RedisUnavailableError('down', { cause }).cause).toBe(cause);
    expect(new RedisCommandError('ERR', { cause }).cause).toBe(cause);
    expect(new RedisOutOfMemoryError('OOM', { cause }).cause).toBe(cause);
    expect(new SerializationError('bad', { cause }).cause).toBe(cause);
    expect(new RedisPatternsError('REDIS_ERROR', 'x', { cause }).cause).toBe(cause);
  });

  it('say what happened in their message and fields', () => {
    const validation = new ValidationError('limit', 'must be an integer > 0');
    expect(validation.message).toBe('limit: must be an integer > 0');
    expect(validation.field).toBe('limit');
    expect(new ValidationError('x', 'y', 'INVALID_TRANSITION').code).toBe('INVALID_TRANSITION');

    const timeout = new CommandTimeoutError(250, 'script lock/acquire');
    expect(timeout.message).toBe('Redis did not answer script lock/acquire within 250 ms');
    expect(timeout.timeoutMs).toBe(250);

    const replication = new ReplicationError(1, 3);
    expect(replication.message).toBe('only 1 of 3 replicas confirmed the write in time');
    expect(replication.acknowledged).toBe(1);
    expect(replication.required).toBe(3);

    expect(new RedisCommandError('ERR x', undefined, 'GEO_REBUILD').code).toBe('GEO_REBUILD');
    const oom = new RedisOutOfMemoryError('OOM command not allowed');
    expect(oom).toBeInstanceOf(RedisCommandError);
    expect(oom.message).toBe('OOM command not allowed');
  });
});

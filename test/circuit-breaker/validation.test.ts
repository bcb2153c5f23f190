import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/circuit-breaker/index.js';
import { ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';

const bad: [string, Partial<CircuitBreakerOptions>][] = [
  ['failureThreshold 0', { failureThreshold: 0 }],
  ['failureThreshold -1', { failureThreshold: -1 }],
  ['failureThreshold NaN', { failureThreshold: Number.NaN }],
  ['failureThreshold 1.5', { failureThreshold: 1.5 }],
  ['failureRate 0', { failureRate: 0 }],
  ['failureRate 1.01', { failureRate: 1.01 }],
  ['failureRate -0.5', { failureRate: -0.5 }],
  ['failureRate NaN', { failureRate: Number.NaN }],
  ['failureRate as a string', { failureRate: '0.5' as unknown as number }],
  ['both thresholds', { failureThreshold: 3, failureRate: 0.5 }],
  ['minimumRequests -1', { minimumRequests: -1 }],
  ['windowMs 0', { windowMs: 0 }],
  ['windowMs Infinity', { windowMs: Number.POSITIVE_INFINITY }],
  ['windowBuckets 0', { windowBuckets: 0 }],
  ['windowBuckets 101', { windowBuckets: 101 }],
  ['windowBuckets > windowMs', { windowMs: 5, windowBuckets: 10 }],
  ['openMs 0', { openMs: 0 }],
  ['openMs NaN', { openMs: Number.NaN }],
  ['halfOpenMaxProbes 0', { halfOpenMaxProbes: 0 }],
  ['timeoutMs -1', { timeoutMs: -1 }],
  ['probeLeaseMs below timeoutMs', { timeoutMs: 1000, probeLeaseMs: 500 }],
  ['idleTtlMs 0', { idleTtlMs: 0 }],
  ['cacheMs -5', { cacheMs: -5 }],
  ['redisTimeoutMs 0', { redisTimeoutMs: 0 }],
  ['redisRetryMs NaN', { redisRetryMs: Number.NaN }],
  ['isFailure not a function', { isFailure: true as unknown as () => boolean }],
  ['empty name', { name: '' }],
  ['name not a string', { name: 42 as unknown as string }],
];

describe(`CircuitBreaker validation on ${target} via ${driver}`, () => {
  it.each(bad)('rejects %s with ValidationError before sending anything', async (_, options) => {
    const connection = await testConnection();
    await connection.send(['PING']);
    const { total } = await countCommands(connection, async () => {
      expect(() => new CircuitBreaker({ connection, name: 'svc', ...options })).toThrow(ValidationError);
    });
    expect(total).toBe(0);
  });

  it('rejects bad execute and forceOpen arguments before sending anything', async () => {
    const connection = await testConnection();
    await connection.send(['PING']);
    const breaker = new CircuitBreaker({ connection, name: 'svc' });
    const { total } = await countCommands(connection, async () => {
      await expect(breaker.execute('nope' as unknown as () => Promise<void>)).rejects.toBeInstanceOf(ValidationError);
      await expect(breaker.execute(async () => 1, { fallback: 5 as unknown as () => number })).rejects.toBeInstanceOf(ValidationError);
      await expect(breaker.forceOpen(0)).rejects.toBeInstanceOf(ValidationError);
      await expect(breaker.forceOpen(Number.NaN)).rejects.toBeInstanceOf(ValidationError);
      await expect(breaker.forceOpen(1.5)).rejects.toBeInstanceOf(ValidationError);
    });
    expect(total).toBe(0);
    expect(breaker.state).toBe('closed');
  });

  it('names the bad field and what is wrong with it', async () => {
    const connection = await testConnection();
    const make = (options: unknown) => () => new CircuitBreaker(options as CircuitBreakerOptions);
    for (const options of [undefined, null, 'svc']) await expectInvalid(make(options), 'options', /must be an object$/);
    for (const [options, field, detail] of [
      [{ name: '' }, 'name', /non-empty string/],
      [{ name: 'x'.repeat(1025) }, 'name', /at most 1024 bytes/],
      [{ failureThreshold: 0 }, 'failureThreshold', /> 0/],
      [{ failureThreshold: 3, failureRate: 0.5 }, 'failureRate', /^failureRate: give failureThreshold or failureRate, not both$/],
      [{ failureRate: 0 }, 'failureRate', /^failureRate: must be a number in \(0, 1\], got 0$/],
      [{ failureRate: '0.5' }, 'failureRate', /got 0\.5$/],
      [{ minimumRequests: -1 }, 'minimumRequests', />= 0/],
      [{ windowMs: 0 }, 'windowMs', /> 0/],
      [{ windowBuckets: 0 }, 'windowBuckets', /> 0/],
      [{ windowBuckets: 101 }, 'windowBuckets', /^windowBuckets: must be at most 100 and at most windowMs, got 101$/],
      [{ windowMs: 50, windowBuckets: 51 }, 'windowBuckets', /got 51$/],
      [{ timeoutMs: -1 }, 'timeoutMs', />= 0/],
      [{ probeLeaseMs: 0 }, 'probeLeaseMs', /> 0/],
      [{ timeoutMs: 1000, probeLeaseMs: 999 }, 'probeLeaseMs', /^probeLeaseMs: must be at least timeoutMs \(1000\), got 999$/],
      [{ isFailure: 'no' }, 'isFailure', /^isFailure: must be a function$/],
      [{ openMs: 0 }, 'openMs', /> 0/],
      [{ halfOpenMaxProbes: 0 }, 'halfOpenMaxProbes', /> 0/],
      [{ idleTtlMs: 0 }, 'idleTtlMs', /> 0/],
      [{ cacheMs: -1 }, 'cacheMs', />= 0/],
      [{ redisTimeoutMs: 0 }, 'redisTimeoutMs', /> 0/],
      [{ redisRetryMs: 0 }, 'redisRetryMs', /> 0/],
    ] as [Record<string, unknown>, string, RegExp][]) {
      await expectInvalid(make({ connection, name: 'svc', ...options }), field, detail);
    }
    const breaker = new CircuitBreaker({ connection, name: 'svc' });
    await expectInvalid(() => breaker.execute('nope' as unknown as () => Promise<void>), 'fn', /^fn: must be a function$/);
    await expectInvalid(
      () => breaker.execute(async () => 1, { fallback: 5 as unknown as () => number }),
      'fallback',
      /^fallback: must be a function$/,
    );
    await expectInvalid(() => breaker.forceOpen(0), 'durationMs', /> 0/);
  });

  it('accepts the defaults and the boundaries', async () => {
    const connection = await testConnection();
    expect(() => new CircuitBreaker({ connection, name: 'svc' })).not.toThrow();
    expect(() => new CircuitBreaker({ connection, name: 'svc', failureRate: 1, minimumRequests: 0 })).not.toThrow();
    expect(() => new CircuitBreaker({ connection, name: 'svc', failureThreshold: 1, timeoutMs: 0, windowBuckets: 100 })).not.toThrow();
    // windowBuckets may equal windowMs (1 ms buckets), probeLeaseMs may equal timeoutMs, a name may be 1024 bytes.
    expect(() => new CircuitBreaker({ connection, name: 'svc', windowMs: 50, windowBuckets: 50 })).not.toThrow();
    expect(() => new CircuitBreaker({ connection, name: 'svc', timeoutMs: 1000, probeLeaseMs: 1000 })).not.toThrow();
    expect(new CircuitBreaker({ connection, name: 'é'.repeat(512) }).name).toHaveLength(512);
  });
});

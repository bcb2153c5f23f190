// What a span and the duration metric record when an operation fails with something that is not
// a typed error (a user's function may throw anything), and for an operation already in flight
// when recording starts, through the real OpenTelemetry SDK.
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/circuit-breaker/index.js';
import { FencedLock } from '../../src/lock/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { telemetryPerTest } from './sdk.js';

describe(`OpenTelemetry for odd failures on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('a function that throws null, a string, a plain object or a function fails its span with error.type Error', async () => {
    const connection = await testConnection();
    const sdk = record();
    const breaker = new CircuitBreaker({ connection, name: 'odd', failureThreshold: 100, openMs: 60_000 });
    try {
      // Only an object's code or name is an error type: a thrown function's name is not one.
      const thrown: unknown[] = [null, 'refused', { reason: 'refused', name: 42 }, function refused() {}];
      for (const value of thrown) {
        await expect(
          breaker.execute(async () => {
            throw value;
          }),
        ).rejects.toBe(value);
      }
    } finally {
      await breaker.close();
    }
    const spans = sdk.spans('circuit-breaker.execute');
    expect(spans.map((s) => [s.status.code, s.attributes['error.type']])).toEqual([
      [SpanStatusCode.ERROR, 'Error'],
      [SpanStatusCode.ERROR, 'Error'],
      [SpanStatusCode.ERROR, 'Error'],
      [SpanStatusCode.ERROR, 'Error'],
    ]);
    const durations = (await sdk.metric('redis_patterns.operation.duration')).filter(
      (p) => p.attributes['redis_patterns.operation'] === 'execute',
    );
    expect(durations.map((p) => [p.attributes['error.type'], p.value])).toEqual([['Error', 4]]);
  });

  it('an operation already running when recording starts is not recorded; the ones after it are', async () => {
    const connection = await testConnection();
    // Another instrumentation listens all along, so the waiting acquire is published from its start.
    const early = record();
    try {
      const locks = new FencedLock({ connection, ttlMs: 5000 });
      const first = await locks.acquire('bay:1');
      const waiter = locks.acquire('bay:1', { waitMs: 5000 });
      const queue = connection.keys('lock').key('bay:1', 'queue');
      while (Number(await connection.send(['ZCARD', queue], queue)) === 0) await new Promise((r) => setTimeout(r, 10));
      const sdk = record();
      await first.release();
      await (await waiter).release();
      expect(sdk.spans().map((s) => [s.name, s.attributes['redis_patterns.outcome']])).toEqual([
        ['lock.release', 'handed-off'],
        ['lock.release', 'released'],
      ]);
      expect(early.spans('lock.acquire').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['acquired', 'acquired']);
    } finally {
      await early.stop();
    }
  });
});

// Where the queue's spans take their parent from, through the real OpenTelemetry SDK: a producer
// span never continues what another instrumentation put in the job's carrier, and a worker span
// continues only a carrier that holds a span's context (not one with baggage alone).
import { context, ProxyTracerProvider, propagation } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { instrumentRedisPatterns } from '../../src/otel/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';
import { recordTelemetry, telemetryPerTest } from './sdk.js';

describe(`OpenTelemetry trace context of queue spans on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('with two instrumentations, each records the add as a root producer span without links, and the worker continues the last producer span', async () => {
    const connection = await testConnection();
    const first = record();
    const second = record();
    const queue = new StreamQueue({ connection, name: 'two-sdks' });
    await queue.add('job', {});
    for (const sdk of [first, second]) {
      const [add] = sdk.spans('queue.add');
      expect(add?.parentSpanContext).toBeUndefined();
      expect(add?.links).toEqual([]);
    }
    let ran = 0;
    const worker = await queue.process(async () => {
      ran++;
    });
    await waitFor(async () => ran === 1 && (await queue.counts()).pending === 0, 15_000);
    await worker.close();
    // The job carries the context the later subscriber wrote; the worker spans take it as it was stored.
    const stored = second.spans('queue.add')[0]?.spanContext().spanId;
    for (const sdk of [first, second]) {
      const [processed] = sdk.spans('queue.process');
      expect(processed?.parentSpanContext?.spanId).toBe(stored);
      expect(processed?.links.map((l) => l.context.spanId)).toEqual([stored]);
    }
  });

  it('a job that carries baggage but no span context: the worker span starts a trace of its own, without links', async () => {
    const connection = await testConnection();
    await recordTelemetry().stop(); // registers the SDK's context manager and propagator (once per process)
    // A producer whose tracer records nothing (no span context to send) but whose propagator sends baggage.
    propagation.disable();
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    try {
      const producer = instrumentRedisPatterns({ tracerProvider: new ProxyTracerProvider() });
      const queue = new StreamQueue({ connection, name: 'baggage-only' });
      const baggage = propagation.setBaggage(context.active(), propagation.createBaggage({ tenant: { value: 'clinic-4' } }));
      await context.with(baggage, () => queue.add('job', {}));
      producer.disable();
      const sdk = record();
      let ran = 0;
      const worker = await queue.process(async () => {
        ran++;
      });
      await waitFor(async () => ran === 1 && (await queue.counts()).pending === 0, 15_000);
      await worker.close();
      const [processed] = sdk.spans('queue.process');
      expect(processed?.attributes['redis_patterns.outcome']).toBe('completed');
      expect(processed?.parentSpanContext).toBeUndefined();
      expect(processed?.links).toEqual([]);
    } finally {
      propagation.disable();
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    }
  });
});

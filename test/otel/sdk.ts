// The real OpenTelemetry SDK, recording in memory: spans in an exporter, metrics in a reader
// the test collects on demand.
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { type CollectionResult, type DataPoint, DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach } from 'vitest';
import { instrumentRedisPatterns, type RedisPatternsInstrumentationOptions } from '../../src/otel/index.js';

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** A point of one metric: its attributes and value (a number, or a histogram's count and sum). */
export interface Point {
  attributes: Record<string, unknown>;
  value: number;
  count?: number;
  sum?: number;
}

let registered = false;

/** An SDK wired to redis-patterns' instrumentation; `stop()` disables both. */
export function recordTelemetry(options: Omit<RedisPatternsInstrumentationOptions, 'tracerProvider' | 'meterProvider'> = {}) {
  if (!registered) {
    // Parent/child relations across awaits need an async context manager, as in any Node app.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    // What the OpenTelemetry Node SDK registers by default: W3C trace context, for the queue's jobs.
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    registered = true;
  }
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const instrumentation = instrumentRedisPatterns({ ...options, tracerProvider, meterProvider });
  let stopped = false;
  return {
    tracer: tracerProvider.getTracer('test'),
    spans: (name?: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => name === undefined || s.name === name),
    async metric(name: string): Promise<Point[]> {
      const { resourceMetrics }: CollectionResult = await reader.collect();
      const points: Point[] = [];
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const m of scope.metrics) {
          if (m.descriptor.name !== name) continue;
          for (const p of m.dataPoints as DataPoint<unknown>[]) {
            const v = p.value as number | { count: number; sum: number };
            points.push(
              typeof v === 'number'
                ? { attributes: p.attributes, value: v }
                : { attributes: p.attributes, value: v.count, count: v.count, sum: v.sum },
            );
          }
        }
      }
      return points;
    },
    /** Every metric recorded so far, by name: its description, unit, point type and histogram bucket boundaries. */
    async instruments(): Promise<Map<string, { description: string; unit: string; type: string; boundaries?: number[] }>> {
      const { resourceMetrics }: CollectionResult = await reader.collect();
      const out = new Map<string, { description: string; unit: string; type: string; boundaries?: number[] }>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const m of scope.metrics) {
          const first = m.dataPoints[0]?.value as { buckets?: { boundaries: number[] } } | number | undefined;
          const boundaries = typeof first === 'object' ? first.buckets?.boundaries : undefined;
          const type =
            m.dataPointType === DataPointType.SUM
              ? m.isMonotonic
                ? 'counter'
                : 'up-down counter'
              : DataPointType[m.dataPointType].toLowerCase();
          out.set(m.descriptor.name, { description: m.descriptor.description, unit: m.descriptor.unit, type, boundaries });
        }
      }
      return out;
    },
    /** The instrumentation scopes of the metrics recorded so far. */
    async scopes(): Promise<string[]> {
      const { resourceMetrics }: CollectionResult = await reader.collect();
      return resourceMetrics.scopeMetrics.map((sm) => sm.scope.name);
    },
    /** Every attribute value of every span and metric point recorded so far, as text. */
    async everything(): Promise<string> {
      const { resourceMetrics } = await reader.collect();
      return JSON.stringify({
        spans: exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
        metrics: resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics.flatMap((m) => m.dataPoints.map((p) => p.attributes))),
      });
    },
    /** Disables the instrumentation only: the SDK keeps exporting what it is still given. */
    disable() {
      instrumentation.disable();
    },
    /** Disables the instrumentation and shuts the SDK down; a second call does nothing. */
    async stop() {
      if (stopped) return;
      stopped = true;
      instrumentation.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

type Telemetry = ReturnType<typeof recordTelemetry>;

/**
 * For a suite: the returned function starts telemetry as {@link recordTelemetry} does, and
 * everything it started in a test is stopped after that test, whether it passed or not.
 */
export function telemetryPerTest(): (options?: Parameters<typeof recordTelemetry>[0]) => Telemetry {
  const started: Telemetry[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((t) => t.stop()));
  });
  return (options) => {
    const telemetry = recordTelemetry(options);
    started.push(telemetry);
    return telemetry;
  };
}

/** Sum of the points whose attributes include `match`. */
export function total(points: Point[], match: Record<string, unknown> = {}): number {
  return points.filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v)).reduce((sum, p) => sum + p.value, 0);
}

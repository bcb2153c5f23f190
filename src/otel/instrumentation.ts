import { subscribe, type TracingChannelSubscribers, tracingChannel, unsubscribe } from 'node:diagnostics_channel';
import {
  type Context,
  context,
  type Link,
  type MeterProvider,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type CommandMessage, type OperationContext, setIdentifierHashKey } from '../core/telemetry.js';
import { ModuleMetrics } from './metrics.js';

/** Modules whose operations are traced, each on `tracing:redis-patterns:<module>:*`. */
export const TRACED_MODULES = [
  'cache',
  'circuit-breaker',
  'counters',
  'feed',
  'geo',
  'leaderboard',
  'lock',
  'offload',
  'queue',
  'rate-limit',
  'session',
  'state-machine',
  'streaks',
] as const;

/** Options of {@link instrumentRedisPatterns}. */
export interface RedisPatternsInstrumentationOptions {
  /** Where spans go. Default: the global tracer provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global meter provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
  /**
   * A secret key: each span then carries `redis_patterns.subject`, an HMAC-SHA256 of the
   * operation's identifier (the rate-limit identity, the lock resource, the cache key), so one
   * subject's operations can be followed without recording who it is. Default: none, and no
   * identifier (key, user id, token, job id) ever reaches a span or a metric.
   */
  identifierHashKey?: string | Buffer;
}

/** What {@link instrumentRedisPatterns} returns. */
export interface RedisPatternsInstrumentation {
  /** Stops recording (unsubscribes from every channel; the identifier key is forgotten). */
  disable(): void;
}

const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
const getter: TextMapGetter<Record<string, string>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

// Operations that hand a message to Redis (producer) or take one from it (consumer).
const PRODUCER = new Set(['queue.add', 'queue.addBulk']);
const CONSUMER = new Set(['queue.process']);

/**
 * Turns what redis-patterns publishes on `node:diagnostics_channel` into OpenTelemetry spans
 * and metrics: one span per public operation (`<module>.<operation>`, e.g. `lock.acquire`),
 * with `db.system.name` = `redis` and the messaging attributes for the queue (a job carries its
 * producer's trace context, and the worker's span continues that trace), and the metrics
 * documented in docs/observability.md. Call it once at start-up, before the first operation
 * you want recorded.
 *
 * @example
 * import { instrumentRedisPatterns } from 'redis-patterns/otel';
 * instrumentRedisPatterns(); // uses the global providers your OpenTelemetry SDK registered
 */
export function instrumentRedisPatterns(options: RedisPatternsInstrumentationOptions = {}): RedisPatternsInstrumentation {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer('redis-patterns');
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter('redis-patterns');
  const recorder = new ModuleMetrics(meter);
  const spans = new WeakMap<object, { span: Span; started: number }>();
  if (options.identifierHashKey !== undefined) setIdentifierHashKey(options.identifierHashKey);

  const ignore = () => {};
  const handlers: TracingChannelSubscribers<OperationContext> = {
    // The span ends when the operation settles (asyncEnd), which also carries its error.
    end: ignore,
    asyncStart: ignore,
    error: ignore,
    start(op) {
      const name = `${op.module}.${op.operation}`;
      let parent: Context = context.active();
      const links: Link[] = [];
      if (CONSUMER.has(name) && op.carrier) {
        // The job's producer context: the worker's span continues that trace and links to it.
        const producer = propagation.extract(context.active(), op.carrier, getter);
        const producerSpan = trace.getSpanContext(producer);
        if (producerSpan) {
          parent = producer;
          links.push({ context: producerSpan });
        }
      }
      const kind = PRODUCER.has(name) ? SpanKind.PRODUCER : CONSUMER.has(name) ? SpanKind.CONSUMER : SpanKind.CLIENT;
      const span = tracer.startSpan(name, { kind, attributes: spanAttributes(op), links }, parent);
      if (PRODUCER.has(name) && op.carrier) propagation.inject(trace.setSpan(context.active(), span), op.carrier, setter);
      spans.set(op, { span, started: performance.now() });
    },
    asyncEnd(op) {
      const entry = spans.get(op);
      if (!entry) return;
      spans.delete(op);
      const { span, started } = entry;
      const errorCode = errorCodeOf(op.error);
      if (op.outcome) span.setAttribute('redis_patterns.outcome', op.outcome);
      if (op.error !== undefined) {
        span.recordException(op.error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (op.error as Error)?.message });
        span.setAttribute('error.type', errorCode);
      }
      span.end();
      recorder.operation(op, (performance.now() - started) / 1000, op.error === undefined ? undefined : errorCode);
    },
  };
  const onCommand = (message: unknown) => recorder.command(message as CommandMessage);
  const channels = TRACED_MODULES.map((m) => tracingChannel<object, OperationContext>(`redis-patterns:${m}`));
  for (const c of channels) c.subscribe(handlers);
  subscribe('redis-patterns:command', onCommand);
  recorder.observeGauges();
  return {
    disable() {
      for (const c of channels) c.unsubscribe(handlers);
      unsubscribe('redis-patterns:command', onCommand);
      recorder.stop();
      if (options.identifierHashKey !== undefined) setIdentifierHashKey(undefined);
    },
  };
}

function spanAttributes(op: OperationContext): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {
    'db.system.name': 'redis',
    'redis_patterns.module': op.module,
    'redis_patterns.operation': op.operation,
  };
  for (const [k, v] of Object.entries(op.attributes)) out[`redis_patterns.${k}`] = v;
  if (op.subject !== undefined) out['redis_patterns.subject'] = op.subject;
  if (op.module === 'queue') {
    out['messaging.system'] = 'redis-patterns';
    const queue = op.attributes.queue;
    if (typeof queue === 'string') out['messaging.destination.name'] = queue;
    if (PRODUCER.has(`${op.module}.${op.operation}`)) out['messaging.operation.type'] = 'send';
    if (CONSUMER.has(`${op.module}.${op.operation}`)) out['messaging.operation.type'] = 'process';
  }
  return out;
}

/** The typed error's code (`REDIS_TIMEOUT`, `LOCK_NOT_ACQUIRED`, ...), or the error's name. */
export function errorCodeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return 'Error';
}

// What the instrumentation costs. Three ways to run the same operations, in alternating rounds:
// - "bypassed": every module's Instrument replaced (for the round) by one that calls the
//   operation directly, as if the instrumentation were compiled out;
// - "present, nobody listening": the library as shipped, no subscriber (the default);
// - "OpenTelemetry SDK on": instrumentRedisPatterns() with a real SDK, every span sampled and
//   handed to a batch processor, every metric recorded.
// BullMQ's add with and without its telemetry (bullmq-otel on the same SDK) is measured the same
// way, for the cost per operation side by side.
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Queue } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { Cache } from 'redis-patterns/cache';
import { Instrument } from 'redis-patterns/kit';
import { FencedLock } from 'redis-patterns/lock';
import { instrumentRedisPatterns, type RedisPatternsInstrumentation } from 'redis-patterns/otel';
import { StreamQueue } from 'redis-patterns/queue';
import { FixedWindowLimiter } from 'redis-patterns/rate-limit';
import type { BenchCase, BenchContext } from './lib/types.js';
import type { Op } from './lib/versus.js';

const CONCURRENCY = 50;
const KEYS = 1000;

/** Accepts spans and drops them: what an exporter costs is not the library's. */
class DroppingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** Swaps Instrument's two members for pass-throughs while a round runs: instrumentation compiled out. */
function bypass(): { on: () => Promise<void>; off: () => Promise<void> } {
  const proto = Instrument.prototype as unknown as Record<string, unknown>;
  const enabled = Object.getOwnPropertyDescriptor(Instrument.prototype, 'enabled') as PropertyDescriptor;
  const traced = proto.trace;
  return {
    on: async () => {
      Object.defineProperty(Instrument.prototype, 'enabled', { configurable: true, get: () => false });
      proto.trace = (_operation: string, _attributes: unknown, _identifier: unknown, fn: (context: undefined) => unknown) => fn(undefined);
    },
    off: async () => {
      Object.defineProperty(Instrument.prototype, 'enabled', enabled);
      proto.trace = traced;
    },
  };
}

export default async function telemetryBench(ctx: BenchContext): Promise<void> {
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DroppingExporter())] });
  const meterProvider = new MeterProvider();
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  const io = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  const connection = RedisConnection.from(io, { prefix: 'bench-telemetry' });
  const limiter = new FixedWindowLimiter({ connection, limit: 1_000_000_000, windowMs: 60_000 });
  const cache = new Cache({ connection, ttlMs: 600_000 });
  const l1Connection = RedisConnection.from(io, { prefix: 'bench-telemetry-l1' });
  const cacheL1 = new Cache({ connection: l1Connection, ttlMs: 600_000, l1: { maxEntries: 10_000, ttlMs: 60_000 } });
  await cacheL1.ready();
  const lock = new FencedLock({ connection, ttlMs: 5000, waitMs: 0 });
  const queue = new StreamQueue<{ n: number }>({ connection, name: 'bench-telemetry' });
  const bull = new Queue('bench-telemetry-plain', { connection: io });
  const bullTraced = new Queue('bench-telemetry-otel', {
    connection: io,
    telemetry: new BullMQOtel({ tracerName: 'bench', enableMetrics: true }),
  });
  for (let i = 0; i < KEYS; i++) {
    await cache.set(`provider:${i}`, { id: i, slots: ['09:00', '09:30'] });
    await cacheL1.wrap(`provider:${i}`, async () => ({ id: i, slots: ['09:00', '09:30'] }));
  }

  const bypassed = bypass();
  let otel: RedisPatternsInstrumentation | undefined;
  const sdkOn = async () => {
    otel = instrumentRedisPatterns();
  };
  const sdkOff = async () => {
    otel?.disable();
    otel = undefined;
    await tracerProvider.forceFlush();
  };
  const lockSeq = { n: 0 };
  const ops: [string, Op][] = [
    ['rate-limit check (fixed window)', (i) => limiter.check(`patient-${i % KEYS}`)],
    ['cache hit, Redis tier', (i) => cache.get(`provider:${i % KEYS}`)],
    ['cache hit, L1', (i) => cacheL1.get(`provider:${i % KEYS}`)],
    ['lock acquire + release', async () => (await lock.acquire(`rx-${lockSeq.n++ % KEYS}`)).release()],
    ['queue add', (i) => queue.add('sync', { n: i })],
  ];
  try {
    for (const [operation, op] of ops) {
      const cases: BenchCase[] = [
        { suite: 'telemetry', operation, library: 'bypassed', concurrency: CONCURRENCY, op, setup: bypassed.on, teardown: bypassed.off },
        { suite: 'telemetry', operation, library: 'present, nobody listening', concurrency: CONCURRENCY, op, reference: 'bypassed' },
        {
          suite: 'telemetry',
          operation,
          library: 'OpenTelemetry SDK on',
          concurrency: CONCURRENCY,
          op,
          setup: sdkOn,
          teardown: sdkOff,
          reference: 'bypassed',
        },
      ];
      await ctx.compare(cases);
    }
    await ctx.compare([
      {
        suite: 'telemetry',
        operation: 'BullMQ add',
        library: 'bullmq, telemetry off',
        concurrency: CONCURRENCY,
        op: (i) => bull.add('sync', { n: i }),
      },
      {
        suite: 'telemetry',
        operation: 'BullMQ add',
        library: 'bullmq-otel on',
        concurrency: CONCURRENCY,
        op: (i) => bullTraced.add('sync', { n: i }),
        reference: 'bullmq, telemetry off',
      },
    ]);
  } finally {
    await sdkOff();
    await Promise.all([bull.close(), bullTraced.close(), cacheL1.close(), cache.close()]);
    await Promise.all([connection.close(), l1Connection.close()]);
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    io.disconnect();
  }
}

// Prometheus metrics for the clinic's messaging limiter and refill locks: the OpenTelemetry
// SDK with its Prometheus exporter serves /metrics, redis-patterns/otel records into it, and
// the example scrapes the endpoint over HTTP as Prometheus would and checks the series.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { FencedLock } from 'redis-patterns/lock';
import { instrumentRedisPatterns } from 'redis-patterns/otel';
import { FixedWindowLimiter } from 'redis-patterns/rate-limit';
import { freePort } from '../../scripts/lib/redis-servers.js';
import { check, withRedis } from '../_shared/redis.js';

await withRedis(async (url) => {
  const port = await freePort();
  const exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
  await exporter.startServer();
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const instrumentation = instrumentRedisPatterns({ meterProvider });
  const client = new Redis(url);
  const connection = RedisConnection.from(client, { prefix: 'clinic' });
  try {
    // A patient's reminder SMS: 150 per minute allowed, 200 attempted.
    const sms = new FixedWindowLimiter({ connection, name: 'reminder-sms', limit: 150, windowMs: 60_000 });
    const decisions = await Promise.all(Array.from({ length: 200 }, () => sms.check('patient-4711')));
    console.log(`checks: ${decisions.filter((d) => d.allowed).length} allowed, ${decisions.filter((d) => !d.allowed).length} rejected`);
    // Three refills of one prescription, one after another.
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    for (let i = 0; i < 3; i++) await locks.using('refill:rx-1042', async () => new Promise((r) => setTimeout(r, 20)));

    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // The sum of a series' samples whose labels include `labels` (label order is the exporter's).
    const value = (name: string, labels: Record<string, string>) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`redis_patterns_${k}="${v}"`)))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    const allowed = value('redis_patterns_rate_limit_decisions_total', { decision: 'allowed', limiter: 'reminder-sms' });
    const rejected = value('redis_patterns_rate_limit_decisions_total', { decision: 'rejected', limiter: 'reminder-sms' });
    const holds = value('redis_patterns_lock_hold_duration_count', { kind: 'fenced' });
    console.log(`scraped: decisions allowed=${allowed} rejected=${rejected}, lock holds=${holds}`);
    check(allowed === 150 && rejected === 50, 'the scrape shows 150 allowed and 50 rejected checks');
    check(holds === 3, 'the scrape shows three lock holds');
    check(!text.includes('patient-4711') && !text.includes('rx-1042'), 'no patient or prescription id in the metrics');
  } finally {
    instrumentation.disable();
    await meterProvider.shutdown();
    await connection.close();
    client.disconnect();
  }
});

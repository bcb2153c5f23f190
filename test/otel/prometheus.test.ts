// The documented Prometheus series, scraped over HTTP from the OpenTelemetry Prometheus exporter
// after a known workload.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/redis-servers.js';
import { FencedLock } from '../../src/lock/index.js';
import { instrumentRedisPatterns } from '../../src/otel/index.js';
import { FixedWindowLimiter } from '../../src/rate-limit/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`Prometheus scrape on ${target} via ${driver}`, () => {
  it('serves the rate-limit, lock and client series with the workload values', async () => {
    const port = await freePort();
    const exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
    await exporter.startServer();
    const meterProvider = new MeterProvider({ readers: [exporter] });
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, name: 'reminder-sms', limit: 150, windowMs: 60_000 });
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    await limiter.peek('patient-4711');
    const instrumentation = instrumentRedisPatterns({ meterProvider });
    try {
      await Promise.all(Array.from({ length: 200 }, () => limiter.check('patient-4711')));
      for (let i = 0; i < 3; i++) await locks.using('refill:rx-1042', async () => new Promise((r) => setTimeout(r, 10)));
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      const series = (name: string, labels: Record<string, string>) =>
        text
          .split('\n')
          .filter(
            (line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => line.includes(`redis_patterns_${k}="${v}"`)),
          )
          .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
      expect(series('redis_patterns_rate_limit_decisions_total', { decision: 'allowed', limiter: 'reminder-sms' })).toBe(150);
      expect(series('redis_patterns_rate_limit_decisions_total', { decision: 'rejected', source: 'redis' })).toBe(50);
      expect(series('redis_patterns_lock_hold_duration_count', { kind: 'fenced' })).toBe(3);
      expect(series('redis_patterns_lock_wait_duration_count', { kind: 'fenced' })).toBe(3);
      expect(series('redis_patterns_operation_duration_count', { module: 'rate-limit', operation: 'check' })).toBe(200);
      expect(series('redis_patterns_client_round_trips_total', { kind: 'script' })).toBeGreaterThan(0);
      expect(text).toContain('# TYPE redis_patterns_rate_limit_decisions_total counter');
      expect(text).not.toContain('patient-4711');
      expect(text).not.toContain('rx-1042');
    } finally {
      instrumentation.disable();
      await meterProvider.shutdown();
    }
  });
});

// What an exporter receives about each metric (name, type, unit, description, histogram
// buckets) as docs/observability.md lists them, and the metric points that only some outcomes
// may record, through the real OpenTelemetry SDK.
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { Cache } from '../../src/cache/index.js';
import { CircuitBreaker } from '../../src/circuit-breaker/index.js';
import { FencedLock, Semaphore } from '../../src/lock/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { FixedWindowLimiter } from '../../src/rate-limit/index.js';
import { SessionStore } from '../../src/session/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { recordTelemetry, total } from './sdk.js';

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// docs/observability.md, "Metrics": type and unit of every metric.
const DOCUMENTED: Record<string, { type: string; unit: string; boundaries?: number[] }> = {
  'redis_patterns.operation.duration': { type: 'histogram', unit: 's', boundaries: SECONDS },
  'redis_patterns.cache.requests': { type: 'counter', unit: '{request}' },
  'redis_patterns.cache.loads': { type: 'counter', unit: '{load}' },
  'redis_patterns.cache.load.duration': { type: 'histogram', unit: 's', boundaries: SECONDS },
  'redis_patterns.rate_limit.decisions': { type: 'counter', unit: '{check}' },
  'redis_patterns.lock.wait.duration': { type: 'histogram', unit: 's', boundaries: SECONDS },
  'redis_patterns.lock.hold.duration': { type: 'histogram', unit: 's', boundaries: SECONDS },
  'redis_patterns.lock.handoffs': { type: 'counter', unit: '{release}' },
  'redis_patterns.lock.lost': { type: 'counter', unit: '{lease}' },
  'redis_patterns.semaphore.permits.in_use': { type: 'up-down counter', unit: '{permit}' },
  'redis_patterns.queue.jobs': { type: 'counter', unit: '{job}' },
  'redis_patterns.queue.job.processing.duration': { type: 'histogram', unit: 's', boundaries: SECONDS },
  'redis_patterns.queue.job.wait.duration': { type: 'histogram', unit: 's', boundaries: SECONDS },
  'redis_patterns.queue.waiting': { type: 'gauge', unit: '{job}' },
  'redis_patterns.queue.delayed': { type: 'gauge', unit: '{job}' },
  'redis_patterns.queue.active': { type: 'gauge', unit: '{job}' },
  'redis_patterns.queue.dead': { type: 'gauge', unit: '{job}' },
  'redis_patterns.session.operations': { type: 'counter', unit: '{operation}' },
  'redis_patterns.circuit_breaker.state': { type: 'gauge', unit: '1' },
  'redis_patterns.circuit_breaker.transitions': { type: 'counter', unit: '{transition}' },
  'redis_patterns.circuit_breaker.calls': { type: 'counter', unit: '{call}' },
  'redis_patterns.client.round_trips': { type: 'counter', unit: '{round_trip}' },
  'redis_patterns.client.coalesced_calls': { type: 'histogram', unit: '{call}', boundaries: [1, 2, 4, 8, 12, 16] },
  'redis_patterns.client.script_reloads': { type: 'counter', unit: '{script}' },
  'redis_patterns.client.timeouts': { type: 'counter', unit: '{operation}' },
};

describe(`OpenTelemetry instruments on ${target} via ${driver}`, () => {
  let sdk: ReturnType<typeof recordTelemetry> | undefined;
  afterEach(async () => {
    await sdk?.stop();
    sdk = undefined;
  });

  it('every documented metric reaches the exporter with its type, unit, a description and its buckets', async () => {
    const connection = await testConnection();
    sdk = recordTelemetry();
    const cache = new Cache({ connection, ttlMs: 60_000, l1: { maxEntries: 10 } });
    await cache.ready();
    await cache.wrap('slot:1', async () => 'free');
    await new FixedWindowLimiter({ connection, name: 'otp', limit: 5, windowMs: 60_000 }).check('u-1');
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    const first = await locks.acquire('bed:1');
    const waiter = locks.acquire('bed:1', { waitMs: 5000 });
    const queueKey = connection.keys('lock').key('bed:1', 'queue');
    while (Number(await connection.send(['ZCARD', queueKey], queueKey)) === 0) await new Promise((r) => setTimeout(r, 10));
    await first.release();
    const second = await waiter;
    await connection.send(['DEL', connection.keys('lock').key('bed:1', 'owner')], connection.keys('lock').key('bed:1', 'owner'));
    expect(await second.extend()).toBe(false);
    await new Semaphore({ connection, limit: 2 }).acquire('api');
    const queue = new StreamQueue({ connection, name: 'instruments' });
    await queue.add('job', {});
    const worker = await queue.process(async () => {});
    await waitFor(async () => (await queue.counts()).waiting + (await queue.counts()).pending === 0);
    await worker.close();
    await new SessionStore({ connection }).create('patient-1');
    const breaker = new CircuitBreaker({ connection, name: 'fax', failureThreshold: 1, openMs: 60_000 });
    await expect(
      breaker.execute(async () => {
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
    // A script reload and a timeout: in the next test, on a server of its own.
    const seen = await sdk.instruments();
    await breaker.close();
    for (const [name, documented] of Object.entries(DOCUMENTED)) {
      if (name === 'redis_patterns.client.script_reloads' || name === 'redis_patterns.client.timeouts') continue;
      const got = seen.get(name);
      expect(got, name).toBeDefined();
      expect({ type: got?.type, unit: got?.unit }, name).toEqual({ type: documented.type, unit: documented.unit });
      expect(got?.description, name).not.toBe('');
      if (documented.boundaries) expect(got?.boundaries, name).toEqual(documented.boundaries);
    }
    expect([...seen.keys()].filter((name) => !(name in DOCUMENTED))).toEqual([]);
  }, 30_000);

  it('a script sent again after SCRIPT FLUSH and a Redis timeout reach the exporter with their unit and script name', async () => {
    const server = await startRedis();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 200 });
    try {
      const limiter = new FixedWindowLimiter({ connection, name: 'fax', limit: 5, windowMs: 60_000, outagePolicy: 'throw' });
      await limiter.check('a'); // the script's first load on this server, before recording
      sdk = recordTelemetry();
      await connection.send(['SCRIPT', 'FLUSH'], 'a');
      await limiter.check('a');
      server.pause();
      await expect(limiter.check('a')).rejects.toMatchObject({ code: 'REDIS_TIMEOUT' });
      server.resume();
      const reloads = await sdk.metric('redis_patterns.client.script_reloads');
      expect(reloads.map((p) => p.attributes)).toEqual([{ 'redis_patterns.script': expect.stringMatching(/\S/) }]);
      expect(total(reloads)).toBe(1);
      const script = reloads[0]?.attributes['redis_patterns.script'];
      // Only script calls (named <module>/<script>) are coalesced: the SCRIPT FLUSH command is a
      // round trip, not a point here.
      const coalesced = (await sdk.metric('redis_patterns.client.coalesced_calls')).map((p) => p.attributes['redis_patterns.script']);
      expect(coalesced).toContain(script);
      for (const name of coalesced) expect(name).toMatch(/^[\w-]+\/[\w.-]+$/);
      expect(total(await sdk.metric('redis_patterns.client.round_trips'), { 'redis_patterns.kind': 'command' })).toBeGreaterThan(0);
      const seen = await sdk.instruments();
      for (const name of ['redis_patterns.client.script_reloads', 'redis_patterns.client.timeouts']) {
        expect({ type: seen.get(name)?.type, unit: seen.get(name)?.unit }, name).toEqual({
          type: DOCUMENTED[name]?.type,
          unit: DOCUMENTED[name]?.unit,
        });
        expect(seen.get(name)?.description, name).not.toBe('');
      }
    } finally {
      server.resume();
      close();
      await server.stop();
    }
  });
});

async function waitFor(done: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

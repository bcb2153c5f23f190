// What an exporter receives about each metric (name, type, unit, description, histogram
// buckets) as docs/observability.md lists them, and the metric points that only some outcomes
// may record, through the real OpenTelemetry SDK.
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { Cache } from '../../src/cache/index.js';
import { CircuitBreaker } from '../../src/circuit-breaker/index.js';
import { FencedLock, Semaphore } from '../../src/lock/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { FixedWindowLimiter } from '../../src/rate-limit/index.js';
import { SessionStore } from '../../src/session/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';
import { telemetryPerTest, total } from './sdk.js';

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
  const record = telemetryPerTest();

  it('every documented metric reaches the exporter with its type, unit, a description and its buckets', async () => {
    const connection = await testConnection();
    const sdk = record();
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
    await waitFor(async () => (await queue.counts()).waiting + (await queue.counts()).pending === 0, 15_000);
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
      const sdk = record();
      await connection.send(['SCRIPT', 'FLUSH'], 'a');
      await limiter.check('a');
      server.pause();
      await expect(limiter.check('a')).rejects.toMatchObject({ code: 'REDIS_TIMEOUT' });
      await expect(new SessionStore({ connection }).create('guest-2')).rejects.toMatchObject({ code: 'REDIS_TIMEOUT' });
      server.resume();
      // A failed operation without an outcome is an error.
      const sessions = await sdk.metric('redis_patterns.session.operations');
      expect(sessions.map((p) => [p.attributes, p.value])).toEqual([
        [{ 'redis_patterns.operation': 'create', 'redis_patterns.result': 'error' }, 1],
      ]);
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

  it('each metric counts only the outcomes it is for, in seconds', async () => {
    const connection = await testConnection();
    const sdk = record();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    // Lock: one hold of about 30 ms, one lease lost (its extend fails), whose release is not a hold.
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    const heldFrom = performance.now();
    const held = await locks.acquire('room:1');
    await sleep(30);
    await held.release();
    const heldFor = (performance.now() - heldFrom) / 1000;
    const lost = await locks.acquire('room:2');
    const owner = connection.keys('lock').key('room:2', 'owner');
    await connection.send(['DEL', owner], owner);
    expect(await lost.extend()).toBe(false);
    expect(await lost.release()).toBe(false);
    const hold = await sdk.metric('redis_patterns.lock.hold.duration');
    expect(total(hold, { 'redis_patterns.kind': 'fenced' })).toBe(1);
    expect(hold[0]?.sum).toBeGreaterThanOrEqual(0.025);
    expect(hold[0]?.sum).toBeLessThanOrEqual(heldFor);
    expect((await sdk.metric('redis_patterns.lock.lost')).map((p) => [p.attributes, p.value])).toEqual([
      [{ 'redis_patterns.kind': 'fenced' }, 1],
    ]);
    // A permit released twice is given back once.
    const permit = await new Semaphore({ connection, limit: 2 }).acquire('api');
    expect(await permit.release()).toBe(true);
    expect(await permit.release()).toBe(false);
    expect(total(await sdk.metric('redis_patterns.semaphore.permits.in_use'))).toBe(0);

    // Cache: two L1 hits, one Redis hit, one miss; a set and a delete are no requests.
    const cache = new Cache({ connection, ttlMs: 60_000, l1: { maxEntries: 10 } });
    await cache.ready();
    const loadFrom = performance.now();
    await cache.wrap('menu:1', async () => {
      await sleep(20);
      return 'soup';
    });
    const loadedFor = (performance.now() - loadFrom) / 1000;
    await cache.wrap('menu:1', async () => 'never');
    await cache.wrap('menu:1', async () => 'never');
    await cache.settled();
    await new Cache({ connection, ttlMs: 60_000 }).get('menu:1');
    await cache.set('menu:2', 'bread');
    await cache.delete('menu:2');
    const requests = await sdk.metric('redis_patterns.cache.requests');
    expect(total(requests)).toBe(4);
    expect(total(requests, { 'redis_patterns.tier': 'l1', 'redis_patterns.result': 'hit' })).toBe(2);
    expect(total(requests, { 'redis_patterns.tier': 'redis' })).toBe(2);
    const load = await sdk.metric('redis_patterns.cache.load.duration');
    expect(load[0]?.sum).toBeGreaterThanOrEqual(0.015);
    expect(load[0]?.sum).toBeLessThanOrEqual(loadedFor);

    // Queue: one add and a bulk of two are three jobs added; pausing is no processing.
    const queue = new StreamQueue({ connection, name: 'kitchen' });
    const queuedFrom = performance.now();
    await queue.add('cook', {});
    await queue.addBulk([
      { name: 'cook', data: {} },
      { name: 'cook', data: {} },
    ]);
    const worker = await queue.process(async () => {});
    await waitFor(async () => (await queue.counts()).waiting + (await queue.counts()).pending === 0, 15_000);
    await worker.close();
    const queuedFor = (performance.now() - queuedFrom) / 1000;
    await queue.pause();
    await queue.resume();
    const jobs = await sdk.metric('redis_patterns.queue.jobs');
    expect(total(jobs, { 'redis_patterns.event': 'added' })).toBe(3);
    expect(total(jobs, { 'redis_patterns.event': 'completed' })).toBe(3);
    expect(total(jobs)).toBe(6);
    expect(sdk.spans('queue.addBulk').map((s) => s.kind)).toEqual([SpanKind.PRODUCER]);
    expect(total(await sdk.metric('redis_patterns.queue.job.processing.duration'))).toBe(3);
    const wait = await sdk.metric('redis_patterns.queue.job.wait.duration');
    expect(total(wait)).toBe(3);
    expect(wait[0]?.sum).toBeLessThanOrEqual(3 * queuedFor);

    // Rate limit: a peek is a decision; a penalty is not.
    const limiter = new FixedWindowLimiter({ connection, name: 'orders', limit: 5, windowMs: 60_000 });
    await limiter.check('table-1');
    await limiter.peek('table-1');
    await limiter.penalty('table-1', 1);
    expect(total(await sdk.metric('redis_patterns.rate_limit.decisions'), { 'redis_patterns.limiter': 'orders' })).toBe(2);

    // Breaker: a failure that opens it is one call and one transition.
    const breaker = new CircuitBreaker({ connection, name: 'payments', failureThreshold: 1, openMs: 60_000 });
    class PaymentsDown extends Error {
      override name = 'PaymentsDown';
    }
    await expect(
      breaker.execute(async () => {
        throw new PaymentsDown('down');
      }),
    ).rejects.toThrow('down');
    await breaker.close();
    const calls = await sdk.metric('redis_patterns.circuit_breaker.calls');
    expect(calls.map((p) => [p.attributes['redis_patterns.result'], p.value])).toEqual([['failure', 1]]);
    const transitions = await sdk.metric('redis_patterns.circuit_breaker.transitions');
    expect(transitions.map((p) => [p.attributes['redis_patterns.state'], p.value])).toEqual([['open', 1]]);

    // Sessions: an operation without an outcome is ok.
    await new SessionStore({ connection }).create('guest-1');
    expect(
      total(await sdk.metric('redis_patterns.session.operations'), { 'redis_patterns.operation': 'create', 'redis_patterns.result': 'ok' }),
    ).toBe(1);

    // Every operation's duration carries its outcome, and a failure its error's name; nothing timed out.
    const durations = await sdk.metric('redis_patterns.operation.duration');
    expect(total(durations, { 'redis_patterns.operation': 'extend', 'redis_patterns.outcome': 'lost' })).toBe(1);
    expect(total(durations, { 'redis_patterns.operation': 'release', 'redis_patterns.outcome': 'not-held' })).toBe(2);
    expect(total(durations, { 'redis_patterns.operation': 'execute', 'error.type': 'PaymentsDown' })).toBe(1);
    expect(sdk.spans('circuit-breaker.execute').map((s) => s.attributes['error.type'])).toEqual(['PaymentsDown']);
    expect(total(await sdk.metric('redis_patterns.client.timeouts'))).toBe(0);
  }, 30_000);

  it('spans carry the messaging attributes only for the queue, the instrumentation scope is redis-patterns, and disable() forgets the key', async () => {
    const connection = await testConnection();
    const keyed = record({ identifierHashKey: 'telemetry-secret' });
    const locks = new FencedLock({ connection });
    await (await locks.acquire('desk:1')).release();
    expect(keyed.spans('lock.acquire')[0]?.attributes['redis_patterns.subject']).toEqual(expect.any(String));
    await keyed.stop();
    const sdk = record();
    const from = performance.now();
    await (await locks.acquire('desk:1')).release();
    const took = (performance.now() - from) / 1000;
    // The operation's duration, in seconds, within the call around it.
    const [duration] = (await sdk.metric('redis_patterns.operation.duration')).filter(
      (p) => p.attributes['redis_patterns.operation'] === 'acquire',
    );
    expect(duration?.sum).toBeGreaterThan(0);
    expect(duration?.sum).toBeLessThanOrEqual(took);
    const queue = new StreamQueue({ connection, name: 'front-desk' });
    await queue.pause();
    const [acquire] = sdk.spans('lock.acquire');
    expect(Object.keys(acquire?.attributes ?? {}).sort()).toEqual([
      'db.system.name',
      'redis_patterns.kind',
      'redis_patterns.module',
      'redis_patterns.operation',
      'redis_patterns.outcome',
    ]);
    expect(acquire?.instrumentationScope.name).toBe('redis-patterns');
    const [pause] = sdk.spans('queue.pause');
    expect(pause?.attributes).toMatchObject({ 'messaging.system': 'redis-patterns', 'messaging.destination.name': 'front-desk' });
    expect(pause?.attributes['messaging.operation.type']).toBeUndefined();
    expect(pause?.kind).toBe(SpanKind.CLIENT);
    const scopes = await sdk.scopes();
    expect(scopes).toEqual(['redis-patterns']);
  });
});

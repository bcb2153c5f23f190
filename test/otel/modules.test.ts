// Every module under the real OpenTelemetry SDK: the documented spans and metric points after a
// known workload, trace context from producer to worker (also across processes), and no
// identifier of the workload in any span or metric attribute.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { CircuitBreaker, CircuitOpenError } from '../../src/circuit-breaker/index.js';
import { AtomicCounter, BloomFilter, UniqueCounter } from '../../src/counters/index.js';
import { Feed } from '../../src/feed/index.js';
import { GeoIndex } from '../../src/geo/index.js';
import { Leaderboard } from '../../src/leaderboard/index.js';
import { FencedLock, FencedStore, Redlock, Semaphore, SlotHold } from '../../src/lock/index.js';
import { OffloadStore } from '../../src/offload/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { GcraLimiter } from '../../src/rate-limit/index.js';
import { SessionStore } from '../../src/session/index.js';
import { StateMachine } from '../../src/state-machine/index.js';
import { Streaks } from '../../src/streaks/index.js';
import { bundleFixture } from '../harness/bundle-fixture.js';
import { driver, target, testConnection, topology } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';
import { telemetryPerTest, total } from './sdk.js';

const run = promisify(execFile);

describe(`OpenTelemetry for every module on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('records a span for every operation of every module, and none of the identifiers it used', async () => {
    const connection = await testConnection();
    const sdk = record();
    // Every identifier of the workload is unique and recognizable, so any leak is found.
    const secret = () => `pii-${randomBytes(6).toString('hex')}`;
    const ids = Array.from({ length: 40 }, secret);
    const id = (i: number) => ids[i] as string;

    const cache = new Cache({ connection, ttlMs: 60_000 });
    await cache.wrap(id(0), async () => ({ slots: 3 }));
    await cache.get(id(0));
    await cache.set(id(1), 'x', { tags: [id(2)] });
    await cache.mget([id(0), id(1)]);
    await cache.mset([{ key: id(3), value: 1 }]);
    await cache.delete(id(3));
    await cache.invalidateTag(id(2));

    await new GcraLimiter({ connection, name: 'otp', limit: 5, periodMs: 60_000 }).check(id(4));
    const locks = new FencedLock({ connection });
    await locks.using(id(5), async () => {});
    const store = new FencedStore({ connection });
    const held = await locks.acquire(id(6));
    await store.write(id(6), held.token, { status: 'sent' });
    await held.release();
    await (await new Semaphore({ connection, limit: 2 }).acquire(id(7))).release();
    const holds = new SlotHold({ connection });
    await holds.hold(id(8), id(9));
    await holds.confirm(id(8), id(9));
    const redlock = new Redlock({ connections: [connection], retryCount: 0 });
    await (await redlock.acquire(id(10))).release();

    const sessions = new SessionStore({ connection });
    const { token } = await sessions.create(id(11), { cart: id(12) }, { ip: '203.0.113.7', userAgent: id(13) });
    await sessions.get(token);
    await sessions.update(token, { cart: id(14) });
    const rotated = await sessions.rotate(token);
    await sessions.list(id(11));
    await sessions.destroy(rotated as string);
    await sessions.destroyAll(id(11));

    const queue = new StreamQueue({ connection, name: 'availability-sync' });
    await queue.add(id(15), { provider: id(16) }, { jobId: id(17) });
    const worker = await queue.process(async () => {});
    await waitFor(async () => (await queue.counts()).waiting + (await queue.counts()).pending === 0, 15_000);
    await worker.close();

    const geo = new GeoIndex({ connection, name: 'pharmacies' });
    await geo.add({ member: id(18), lon: 13.4, lat: 52.5 });
    await geo.nearby({ member: id(18) }, { radius: 1000 });
    const feed = new Feed({ connection });
    await feed.add(id(19), { id: id(20), data: { text: id(21) } });
    await feed.page(id(19));
    await new Streaks({ connection }).record(id(22), id(23), Date.now());
    const board = new Leaderboard({ connection, name: 'adherence' });
    await board.add(id(24), 3);
    await board.rank(id(24));
    await new UniqueCounter({ connection }).track(id(25), id(26));
    await new AtomicCounter({ connection, windowMs: 60_000, windows: 2 }).increment(id(27));
    await new BloomFilter({ connection, name: 'seen', capacity: 100, backend: 'lua' }).add(id(28));
    const intake = new StateMachine({
      connection,
      name: 'intake',
      definition: { initial: 'new', transitions: { new: ['done'], done: [] } },
    });
    await intake.start(id(29), { note: id(30) });
    await intake.transition(id(29), 'new', 'done');
    await new OffloadStore({ connection, name: 'appointments' }).update(id(31), { status: id(32) });
    const breaker = new CircuitBreaker({ connection, name: 'eprescribe', failureThreshold: 1 });
    await breaker.execute(async () => id(33));

    const names = new Set(sdk.spans().map((s) => s.name));
    for (const name of [
      'cache.wrap',
      'cache.get',
      'cache.set',
      'cache.mget',
      'cache.mset',
      'cache.delete',
      'cache.invalidateTag',
      'rate-limit.check',
      'lock.acquire',
      'lock.release',
      'lock.using',
      'lock.write',
      'lock.hold',
      'lock.confirm',
      'session.create',
      'session.get',
      'session.update',
      'session.rotate',
      'session.list',
      'session.destroy',
      'session.destroyAll',
      'queue.add',
      'queue.process',
      'geo.add',
      'geo.nearby',
      'feed.add',
      'feed.page',
      'streaks.record',
      'leaderboard.add',
      'leaderboard.rank',
      'counters.track',
      'counters.increment',
      'counters.add',
      'state-machine.start',
      'state-machine.transition',
      'offload.update',
      'circuit-breaker.execute',
    ]) {
      expect(names, name).toContain(name);
    }
    for (const span of sdk.spans()) expect(span.attributes['db.system.name'], span.name).toBe('redis');
    const everything = await sdk.everything();
    for (const value of [...ids, '203.0.113.7', token]) expect(everything).not.toContain(value);
    expect(everything).not.toContain(connection.prefix);
  }, 60_000);

  it('cache hits, misses and loads; session results', async () => {
    const connection = await testConnection();
    const sdk = record();
    const cache = new Cache({ connection, ttlMs: 60_000, l1: { maxEntries: 10 } });
    await cache.ready();
    let loads = 0;
    const load = async () => {
      loads++;
      return 'availability';
    };
    await cache.wrap('provider:1', load); // miss, load
    await cache.wrap('provider:1', load); // L1 hit
    expect(await cache.get('provider:2')).toBeUndefined(); // miss
    await cache.settled(); // the miss's store, which the wrap did not wait for
    const other = new Cache({ connection, ttlMs: 60_000 });
    await other.wrap('provider:1', load); // Redis hit
    expect(loads).toBe(1);
    const requests = await sdk.metric('redis_patterns.cache.requests');
    expect(total(requests, { 'redis_patterns.result': 'miss' })).toBe(2);
    expect(total(requests, { 'redis_patterns.result': 'hit', 'redis_patterns.tier': 'l1' })).toBe(1);
    expect(total(requests, { 'redis_patterns.result': 'hit', 'redis_patterns.tier': 'redis' })).toBe(1);
    expect(total(await sdk.metric('redis_patterns.cache.loads'))).toBe(1);
    expect(total(await sdk.metric('redis_patterns.cache.load.duration'))).toBe(1);

    const sessions = new SessionStore({ connection });
    const { token } = await sessions.create('patient-1');
    await sessions.get(token);
    await sessions.destroy(token);
    await sessions.get(token);
    const ops = await sdk.metric('redis_patterns.session.operations');
    expect(total(ops, { 'redis_patterns.operation': 'get', 'redis_patterns.result': 'found' })).toBe(1);
    expect(total(ops, { 'redis_patterns.operation': 'get', 'redis_patterns.result': 'missing' })).toBe(1);
    expect(total(ops, { 'redis_patterns.operation': 'destroy', 'redis_patterns.result': 'revoked' })).toBe(1);
  });

  it('a job that fails twice then succeeds: retrying 2, completed 1; the worker span continues the producer trace', async () => {
    const connection = await testConnection();
    const sdk = record();
    const queue = new StreamQueue({ connection, name: 'refills' });
    const tracer = sdk.tracer;
    await tracer.startActiveSpan('http POST /refills', async (request) => {
      await queue.add('send-refill', { rx: 1 }, { attempts: 3 });
      request.end();
    });
    let tries = 0;
    const worker = await queue.process(
      async () => {
        tries++;
        if (tries < 3) throw new Error('pharmacy busy');
      },
      { backoff: { baseMs: 10, maxMs: 20 }, promoteIntervalMs: 20 },
    );
    await waitFor(async () => tries === 3 && (await queue.counts()).pending === 0, 15_000);
    await worker.close();
    const jobs = await sdk.metric('redis_patterns.queue.jobs');
    expect(total(jobs, { 'redis_patterns.event': 'added', 'redis_patterns.queue': 'refills' })).toBe(1);
    expect(total(jobs, { 'redis_patterns.event': 'retrying' })).toBe(2);
    expect(total(jobs, { 'redis_patterns.event': 'completed' })).toBe(1);
    expect(total(await sdk.metric('redis_patterns.queue.job.processing.duration'))).toBe(3);
    expect(total(await sdk.metric('redis_patterns.queue.job.wait.duration'))).toBe(3);
    const [add] = sdk.spans('queue.add');
    const processes = sdk.spans('queue.process');
    expect(processes).toHaveLength(3);
    expect(add?.attributes).toMatchObject({ 'messaging.operation.type': 'send', 'messaging.destination.name': 'refills' });
    for (const p of processes) {
      // Every try, retries included, continues the trace of the request that enqueued the job.
      expect(p.spanContext().traceId).toBe(add?.spanContext().traceId);
      expect(p.parentSpanContext?.spanId).toBe(add?.spanContext().spanId);
      expect(p.links.map((l) => l.context.spanId)).toEqual([add?.spanContext().spanId]);
      expect(p.attributes['messaging.operation.type']).toBe('process');
    }
    expect(processes.map((p) => p.attributes['redis_patterns.outcome'])).toEqual(['retrying', 'retrying', 'completed']);
    // Backlog gauges, read at collection.
    const waiting = await sdk.metric('redis_patterns.queue.waiting');
    expect(total(waiting, { 'redis_patterns.queue': 'refills' })).toBe(0);
  });

  it('across two processes: the worker span is a child of the producer span and links to it', async () => {
    if (target !== 'standalone') return; // the child connects to the standalone server
    const connection = await testConnection();
    const sdk = record();
    const queue = new StreamQueue({ connection, name: 'cross-process' });
    await queue.ensureGroup();
    const child = await bundleFixture('test/otel/fixtures/traced-worker.ts');
    const worker = run(process.execPath, [child], {
      env: { ...process.env, RP_URL: topology().standaloneUrl, RP_PREFIX: connection.prefix, RP_QUEUE: 'cross-process' },
      timeout: 30_000,
    });
    await sdk.tracer.startActiveSpan('schedule refill', async (span) => {
      await queue.add('send-refill', { rx: 2 });
      span.end();
    });
    const printed = JSON.parse((await worker).stdout) as { traceId: string; parentSpanId: string; links: string[]; kind: number };
    const [add] = sdk.spans('queue.add');
    expect(printed.traceId).toBe(add?.spanContext().traceId);
    expect(printed.parentSpanId).toBe(add?.spanContext().spanId);
    expect(printed.links).toEqual([add?.spanContext().spanId]);
  }, 60_000);

  it('breaker calls, transitions and state gauge', async () => {
    const connection = await testConnection();
    const sdk = record();
    const breaker = new CircuitBreaker({ connection, name: 'eprescribe', failureThreshold: 2, openMs: 60_000 });
    const fail = async () => {
      throw new Error('down');
    };
    await breaker.execute(async () => 'ok');
    await expect(breaker.execute(fail)).rejects.toThrow('down');
    await expect(breaker.execute(fail)).rejects.toThrow('down');
    await expect(breaker.execute(async () => 'ok')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(await breaker.execute(async () => 'x', { fallback: () => 'cached' })).toBe('cached');
    const calls = await sdk.metric('redis_patterns.circuit_breaker.calls');
    expect(total(calls, { 'redis_patterns.result': 'success' })).toBe(1);
    expect(total(calls, { 'redis_patterns.result': 'failure' })).toBe(2);
    expect(total(calls, { 'redis_patterns.result': 'rejected' })).toBe(1);
    expect(total(calls, { 'redis_patterns.result': 'fallback' })).toBe(1);
    expect(total(await sdk.metric('redis_patterns.circuit_breaker.transitions'), { 'redis_patterns.state': 'open' })).toBe(1);
    expect(total(await sdk.metric('redis_patterns.circuit_breaker.state'), { 'redis_patterns.breaker': 'eprescribe' })).toBe(2);
    await breaker.close();
    // Nothing outside an active span: the library's spans are roots there.
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});

// Spans and metrics of the lock and rate-limit modules through the real OpenTelemetry SDK.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { FencedLock, FencedStore, Semaphore } from '../../src/lock/index.js';
import { FixedWindowLimiter } from '../../src/rate-limit/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { telemetryPerTest, total } from './sdk.js';

describe(`OpenTelemetry for lock and rate-limit on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('150 of 200 checks allowed: 200 spans, decisions allowed 150 and rejected 50, no identity recorded', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, name: 'sms', limit: 150, windowMs: 60_000 });
    const identity = 'patient-8f3a91';
    await limiter.peek(identity); // the script is loaded on its node before recording: no NOSCRIPT round trips below
    const sdk = record();
    const results = await Promise.all(Array.from({ length: 200 }, () => limiter.check(identity)));
    expect(results.filter((r) => r.allowed)).toHaveLength(150);
    const spans = sdk.spans('rate-limit.check');
    expect(spans).toHaveLength(200);
    expect(spans[0]?.attributes).toMatchObject({
      'db.system.name': 'redis',
      'redis_patterns.module': 'rate-limit',
      'redis_patterns.operation': 'check',
      'redis_patterns.limiter': 'sms',
      'redis_patterns.algorithm': 'fixed-window',
    });
    expect(spans.filter((s) => s.attributes['redis_patterns.outcome'] === 'rejected')).toHaveLength(50);
    const decisions = await sdk.metric('redis_patterns.rate_limit.decisions');
    expect(total(decisions, { 'redis_patterns.decision': 'allowed', 'redis_patterns.limiter': 'sms' })).toBe(150);
    expect(total(decisions, { 'redis_patterns.decision': 'rejected', 'redis_patterns.source': 'redis' })).toBe(50);
    expect(total(await sdk.metric('redis_patterns.operation.duration'), { 'redis_patterns.operation': 'check' })).toBe(200);
    // Coalesced: fewer round trips than checks, each carrying several calls.
    const coalesced = await sdk.metric('redis_patterns.client.coalesced_calls');
    expect(coalesced.reduce((n, p) => n + (p.sum ?? 0), 0)).toBe(200);
    expect(total(await sdk.metric('redis_patterns.client.round_trips'), { 'redis_patterns.kind': 'script' })).toBeLessThan(200);
    expect(total(await sdk.metric('redis_patterns.client.script_reloads'))).toBe(0);
    const all = await sdk.everything();
    expect(all).not.toContain(identity);
    expect(all).not.toContain(connection.prefix);
  });

  it('with an identifier key, spans carry only its keyed hash of the identity', async () => {
    const sdk = record({ identifierHashKey: 'telemetry-secret' });
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, name: 'login', limit: 5, windowMs: 60_000 });
    await limiter.check('user-42');
    const [span] = sdk.spans('rate-limit.check');
    const expected = createHmac('sha256', 'telemetry-secret').update('user-42').digest().subarray(0, 16).toString('base64url');
    expect(span?.attributes['redis_patterns.subject']).toBe(expected);
    expect(await sdk.everything()).not.toContain('user-42');
  });

  it('lock wait and hold times, hand-offs and permits in use', async () => {
    const sdk = record();
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    const first = await locks.acquire('refill:rx-1');
    const waiter = locks.acquire('refill:rx-1', { waitMs: 5000 });
    // Released once the waiter is in the lock's queue, so the release hands the lock over.
    const queue = connection.keys('lock').key('refill:rx-1', 'queue');
    while (Number(await connection.send(['ZCARD', queue], queue)) === 0) await new Promise((r) => setTimeout(r, 10));
    expect(await first.release()).toBe(true);
    const second = await waiter;
    await second.release();
    const acquires = sdk.spans('lock.acquire');
    expect(acquires.map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['acquired', 'acquired']);
    expect(sdk.spans('lock.release').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['handed-off', 'released']);
    expect(total(await sdk.metric('redis_patterns.lock.handoffs'))).toBe(1);
    const wait = await sdk.metric('redis_patterns.lock.wait.duration');
    expect(total(wait, { 'redis_patterns.kind': 'fenced' })).toBe(2);
    expect(Math.max(...wait.map((p) => p.sum ?? 0))).toBeGreaterThan(0);
    expect(total(await sdk.metric('redis_patterns.lock.hold.duration'))).toBe(2);

    const semaphore = new Semaphore({ connection, limit: 3, ttlMs: 5000 });
    const permits = await Promise.all([semaphore.acquire('pharmacy-api'), semaphore.acquire('pharmacy-api')]);
    expect(total(await sdk.metric('redis_patterns.semaphore.permits.in_use'))).toBe(2);
    await permits[0]?.release();
    expect(total(await sdk.metric('redis_patterns.semaphore.permits.in_use'))).toBe(1);
    expect(await sdk.everything()).not.toContain('refill:rx-1');
  });

  it('a try on a held lock is busy, fenced writes are written or stale, and wait time counts from the call', async () => {
    const sdk = record();
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    const store = new FencedStore({ connection });
    const started = performance.now();
    const first = await locks.tryAcquire('chart:rx-2');
    const took = performance.now() - started;
    expect(await locks.tryAcquire('chart:rx-2')).toBeNull();
    expect(sdk.spans('lock.tryAcquire').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['acquired', 'busy']);
    // Only the granted try is a wait, and it cannot have lasted longer than the call around it.
    const wait = await sdk.metric('redis_patterns.lock.wait.duration');
    expect(total(wait)).toBe(1);
    expect(wait[0]?.sum).toBeLessThanOrEqual(took / 1000);
    const stale = first?.token as number;
    await first?.release();
    const next = await locks.acquire('chart:rx-2');
    expect((await store.write('chart:rx-2', next.token, { status: 'sent' })).written).toBe(true);
    expect((await store.write('chart:rx-2', stale, { status: 'late' })).written).toBe(false);
    expect(sdk.spans('lock.write').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['written', 'stale']);
  });

  it('each acquisition is a span named for its operation; a lock set is hashed as its resources one per line', async () => {
    const sdk = record({ identifierHashKey: 'telemetry-secret' });
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const semaphore = new Semaphore({ connection, limit: 1 });
    await (await locks.tryAcquire('scan-1'))?.release();
    await (await semaphore.tryAcquire('scan-2'))?.release();
    await (await semaphore.acquire('scan-2')).release();
    await (await locks.tryAcquireAll(['scan-3', 'scan-4']))?.release();
    await (await locks.acquireAll(['scan-3', 'scan-4'])).release();
    expect(sdk.spans('lock.tryAcquire').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['acquired', 'acquired']);
    expect(sdk.spans('lock.acquire').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['acquired']);
    const hash = (id: string) => createHmac('sha256', 'telemetry-secret').update(id).digest().subarray(0, 16).toString('base64url');
    const sets = [...sdk.spans('lock.tryAcquireAll'), ...sdk.spans('lock.acquireAll')];
    expect(sets.map((s) => s.attributes['redis_patterns.subject'])).toEqual([hash('scan-3\nscan-4'), hash('scan-3\nscan-4')]);
  });

  it('records a Redis timeout as a span error with its code', async () => {
    const sdk = record();
    const server = await startRedis();
    const { connection, close } = await privateConnection(server, { commandTimeoutMs: 200 });
    try {
      const limiter = new FixedWindowLimiter({ connection, name: 'strict', limit: 5, windowMs: 60_000, outagePolicy: 'throw' });
      await limiter.check('a');
      server.pause();
      await expect(limiter.check('a')).rejects.toMatchObject({ code: 'REDIS_TIMEOUT' });
      server.resume();
      const failed = sdk.spans('rate-limit.check').find((s) => s.status.code === 2);
      expect(failed?.attributes['error.type']).toBe('REDIS_TIMEOUT');
      expect(failed?.events.map((e) => e.name)).toContain('exception');
      expect(total(await sdk.metric('redis_patterns.client.timeouts'), { 'redis_patterns.module': 'rate-limit' })).toBe(1);
    } finally {
      server.resume();
      close();
      await server.stop();
    }
  });
});

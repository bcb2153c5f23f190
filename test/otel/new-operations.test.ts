// Spans and metrics of the operations added with the framework adapters: waitFor, the allow and
// deny lists, the stores' hit counter and FencedLock's lock sets, through the real SDK.
import { describe, expect, it } from 'vitest';
import { FencedLock, SlotHold } from '../../src/lock/index.js';
import { ExpressRateLimitStore, FixedWindowLimiter, NestThrottlerStorage } from '../../src/rate-limit/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { telemetryPerTest, total } from './sdk.js';

describe(`OpenTelemetry for the adapters' operations on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('waitFor, allow-list and deny-list answers are spans and decisions; no identity recorded', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({
      connection,
      name: 'partner',
      limit: 1,
      windowMs: 200,
      allowList: ['svc-7f2c'],
      denyList: ['ban-91ae'],
    });
    const sdk = record();
    expect((await limiter.waitFor('acme-3c1d', { maxWaitMs: 2000 })).allowed).toBe(true);
    expect((await limiter.waitFor('acme-3c1d', { maxWaitMs: 2000 })).allowed).toBe(true); // waited for the next window
    await limiter.check('svc-7f2c');
    await limiter.check('ban-91ae');
    const waits = sdk.spans('rate-limit.waitFor');
    expect(waits.map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['allowed', 'allowed']);
    expect(sdk.spans('rate-limit.check').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(
      expect.arrayContaining(['allow-list', 'deny-list']),
    );
    const decisions = await sdk.metric('redis_patterns.rate_limit.decisions');
    expect(total(decisions, { 'redis_patterns.source': 'allow-list', 'redis_patterns.decision': 'allowed' })).toBe(1);
    expect(total(decisions, { 'redis_patterns.source': 'deny-list', 'redis_patterns.decision': 'rejected' })).toBe(1);
    // The two waitFor calls (their inner attempts are not checks of their own).
    expect(total(decisions, { 'redis_patterns.source': 'redis', 'redis_patterns.decision': 'allowed' })).toBe(2);
    const all = await sdk.everything();
    for (const id of ['acme-3c1d', 'svc-7f2c', 'ban-91ae']) expect(all).not.toContain(id);
  });

  it('store calls are spans with the adapter named; Nest increments carry the decision', async () => {
    const connection = await testConnection();
    const express = new ExpressRateLimitStore({ connection });
    express.init({ windowMs: 60_000, limit: 5 });
    const nest = new NestThrottlerStorage({ connection });
    const sdk = record();
    await express.increment('ip-4b7e');
    await express.get('ip-4b7e');
    await nest.increment('key-5d0a', 60_000, 1, 0, 'default');
    await nest.increment('key-5d0a', 60_000, 1, 0, 'default');
    const increments = sdk.spans('rate-limit.increment');
    expect(increments.map((s) => s.attributes['redis_patterns.adapter'])).toEqual([
      'express-rate-limit',
      'nest-throttler',
      'nest-throttler',
    ]);
    expect(increments.map((s) => s.attributes['redis_patterns.outcome'])).toEqual([undefined, 'allowed', 'rejected']);
    expect(sdk.spans('rate-limit.get')).toHaveLength(1);
    const all = await sdk.everything();
    for (const id of ['ip-4b7e', 'key-5d0a']) expect(all).not.toContain(id);
  });

  it('lock sets: acquireAll, usingAll and releaseAll are spans; the wait is measured', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const sdk = record();
    const set = await locks.acquireAll(['bed-12a', 'bed-14b']);
    await set.release();
    await locks.usingAll(['bed-12a', 'bed-14b'], async () => 1);
    expect(await locks.tryAcquireAll(['bed-12a'])).not.toBeNull();
    expect(sdk.spans('lock.acquireAll').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['acquired', 'acquired']);
    expect(sdk.spans('lock.usingAll').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['completed']);
    expect(sdk.spans('lock.releaseAll').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['released', 'released']);
    expect(sdk.spans('lock.tryAcquireAll')).toHaveLength(1);
    expect(total(await sdk.metric('redis_patterns.lock.wait.duration'))).toBeGreaterThanOrEqual(3);
    const all = await sdk.everything();
    for (const id of ['bed-12a', 'bed-14b']) expect(all).not.toContain(id);
  });

  it('lock sets: extendAll and releaseAll spans say whether every lock was still held', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    const set = await locks.acquireAll(['cot-3c', 'cot-4d']);
    const sdk = record();
    expect(await set.extend(6000)).toBe(true);
    const key = connection.keys('lock').key('cot-4d', 'owner');
    await connection.send(['DEL', key], key);
    expect(await set.extend(6000)).toBe(false);
    expect(await set.release()).toBe(false);
    expect(sdk.spans('lock.extendAll').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['extended', 'lost']);
    expect(sdk.spans('lock.releaseAll').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['not-held']);
  });

  it('slot holds: hold, confirm and release spans carry their outcome, with the slot-hold kind', async () => {
    const connection = await testConnection();
    const holds = new SlotHold({ connection });
    const sdk = record();
    await holds.hold('slot-7e', 'pt-1a');
    await holds.hold('slot-7e', 'pt-2b');
    expect(await holds.release('slot-7e', 'pt-2b')).toBe(false);
    expect((await holds.confirm('slot-7e', 'pt-1a')).confirmed).toBe(true);
    await holds.hold('slot-8f', 'pt-1a');
    expect(await holds.release('slot-8f', 'pt-1a')).toBe(true);
    const outcomes = (name: string) =>
      sdk.spans(name).map((s) => [s.attributes['redis_patterns.kind'], s.attributes['redis_patterns.outcome']]);
    expect(outcomes('lock.hold')).toEqual([
      ['slot-hold', 'held'],
      ['slot-hold', 'taken'],
      ['slot-hold', 'held'],
    ]);
    expect(outcomes('lock.confirm')).toEqual([['slot-hold', 'confirmed']]);
    expect(outcomes('lock.release')).toEqual([
      ['slot-hold', 'not-held'],
      ['slot-hold', 'released'],
    ]);
    const all = await sdk.everything();
    for (const id of ['slot-7e', 'pt-1a', 'pt-2b']) expect(all).not.toContain(id);
  });
});

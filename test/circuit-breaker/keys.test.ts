import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/circuit-breaker/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { attempt, down, instances, sleep } from './helpers.js';

describe(`CircuitBreaker keys on ${target} via ${driver}`, () => {
  it('gives every key a TTL and lets an idle breaker expire', async () => {
    const connection = await testConnection();
    const ks = connection.keys('circuit-breaker');
    const key = (part: string) => ks.key('ttl:svc', part);
    const pttl = async (part: string) => Number(await connection.send(['PTTL', key(part)], key(part)));
    const breaker = new CircuitBreaker({
      connection,
      name: 'ttl:svc',
      failureThreshold: 2,
      windowMs: 1000,
      windowBuckets: 10,
      openMs: 200,
      timeoutMs: 0,
      probeLeaseMs: 5000,
      idleTtlMs: 400,
      redisTimeoutMs: 2000,
    });
    await attempt(breaker, down);
    const windowTtl = await pttl('window');
    expect(windowTtl).toBeGreaterThan(0);
    expect(windowTtl).toBeLessThanOrEqual(1100);
    await attempt(breaker, down);
    const stateTtl = await pttl('state');
    expect(stateTtl).toBeGreaterThan(0);
    expect(stateTtl).toBeLessThanOrEqual(600);
    await sleep(250);
    void breaker.execute(() => new Promise(() => {})); // a probe that never reports back
    await sleep(50);
    const probesTtl = await pttl('probes');
    expect(probesTtl).toBeGreaterThan(4000);
    expect(probesTtl).toBeLessThanOrEqual(5000);
    const halfOpenTtl = await pttl('state');
    expect(halfOpenTtl).toBeGreaterThan(0);
    expect(halfOpenTtl).toBeLessThanOrEqual(400);
    await sleep(500);
    // Idle past idleTtlMs: the half-open state is gone and the breaker starts closed.
    expect(await pttl('state')).toBe(-2);
    expect((await breaker.status()).state).toBe('closed');
  });

  it('keeps a forced open state for the period plus idleTtlMs, then forgets it', async () => {
    const connection = await testConnection();
    const key = connection.keys('circuit-breaker').key('forced:svc', 'state');
    const pttl = async () => Number(await connection.send(['PTTL', key], key));
    const breaker = new CircuitBreaker({ connection, name: 'forced:svc', idleTtlMs: 300, redisTimeoutMs: 2000, cacheMs: 0 });
    await breaker.forceOpen(200);
    const ttl = await pttl();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(500);
    await sleep(800);
    expect(await pttl()).toBe(-2);
    expect((await breaker.status()).state).toBe('closed');
  });

  it('gives a half-open state only its state, for idleTtlMs from the moment it turned half-open', async () => {
    const connection = await testConnection();
    const key = connection.keys('circuit-breaker').key('late:svc', 'state');
    const pttl = async () => Number(await connection.send(['PTTL', key], key));
    const fields = async () => ((await connection.send(['HKEYS', key], key)) as string[]).sort();
    const breaker = new CircuitBreaker({
      connection,
      name: 'late:svc',
      failureThreshold: 1,
      openMs: 200,
      timeoutMs: 0,
      probeLeaseMs: 5000,
      idleTtlMs: 2000,
      redisTimeoutMs: 2000,
      cacheMs: 0,
    });
    await attempt(breaker, down);
    expect(await fields()).toEqual(['openUntil', 'state']);
    // The first call comes 1.2 s after the opening: the open state had less than 1 s left to live.
    await sleep(1200);
    void breaker.execute(() => new Promise<string>(() => {})); // a probe that never reports back
    await sleep(50);
    expect(await fields()).toEqual(['state']);
    const ttl = await pttl();
    expect(ttl).toBeGreaterThan(1500);
    expect(ttl).toBeLessThanOrEqual(2000);
  });

  it('keeps two names apart, even names that look like key syntax', async () => {
    const [a] = await instances({ failureThreshold: 1, openMs: 60_000 }, 'rx:{eu}');
    const [b] = await instances({ failureThreshold: 1, openMs: 60_000 }, 'rx:');
    await attempt(a, down);
    expect((await a.status()).state).toBe('open');
    expect((await b.status()).state).toBe('closed');
  });
});

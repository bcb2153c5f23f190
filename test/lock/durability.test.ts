// A grant the replicas did not confirm must not stay held: it is given back before the
// ReplicationError reaches the caller, or the caller, told it has no lock, would still block others.
import { describe, expect, it } from 'vitest';
import { MAX_REPLICAS, ReplicationError } from '../../src/index.js';
import { FencedLock, Semaphore } from '../../src/lock/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

// More replicas than any test server has: the WAIT after each grant always falls short.
const UNREACHABLE = { replicas: MAX_REPLICAS, waitMs: 50 };

describe(`durable locks whose grant no replica confirmed, on ${target} via ${driver}`, () => {
  it('FencedLock rejects with ReplicationError and leaves the resource free', async () => {
    const connection = await testConnection();
    const durable = new FencedLock({ connection, ttlMs: 60_000, durability: UNREACHABLE });
    const plain = new FencedLock({ connection, ttlMs: 60_000 });
    await expect(durable.tryAcquire('theatre:2')).rejects.toBeInstanceOf(ReplicationError);
    await expect(durable.acquire('theatre:2', { waitMs: 1000 })).rejects.toBeInstanceOf(ReplicationError);
    const after = await plain.tryAcquire('theatre:2');
    expect(after).not.toBeNull();
    await after?.release();
  });

  it('Semaphore rejects with ReplicationError and gives the permit back', async () => {
    const connection = await testConnection();
    const durable = new Semaphore({ connection, limit: 1, ttlMs: 60_000, durability: UNREACHABLE });
    const plain = new Semaphore({ connection, limit: 1, ttlMs: 60_000 });
    await expect(durable.tryAcquire('scanner')).rejects.toBeInstanceOf(ReplicationError);
    const after = await plain.tryAcquire('scanner');
    expect(after).not.toBeNull();
    await after?.release();
  });
});

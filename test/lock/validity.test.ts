// How long a lease counts itself valid: the TTL from the moment the request was sent (Redis
// started it no earlier), minus the drift allowance `ttlMs × driftFactor + 2 ms` (docs/lock.md).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FencedLock, Redlock, Semaphore } from '../../src/lock/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`lease validity on ${target} via ${driver}`, () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('is the TTL minus ttlMs × driftFactor + 2 ms when no time passes on the local clock', async () => {
    const connection = await testConnection();
    // The monotonic clock stands still, so the round trip costs no validity and the allowance is all that is taken off.
    vi.spyOn(performance, 'now').mockReturnValue(1_000_000);
    const permit = await new Semaphore({ connection, limit: 1, ttlMs: 1000, driftFactor: 0.01 }).acquire('validity:sem');
    expect(permit.remainingMs()).toBe(1000 - (1000 * 0.01 + 2));
    const lease = await new FencedLock({ connection, ttlMs: 2000, driftFactor: 0.05 }).acquire('validity:fenced');
    expect(lease.remainingMs()).toBe(2000 - (2000 * 0.05 + 2));
    const red = await new Redlock({ connections: [connection], ttlMs: 1000, driftFactor: 0, retryCount: 0 }).acquire('validity:red');
    expect(red.remainingMs()).toBe(1000 - 2);
    await Promise.all([permit.release(), lease.release(), red.release()]);
  });
});

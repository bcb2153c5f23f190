import { describe, expect, it, vi } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { LockNotAcquiredError, Semaphore } from '../../src/lock/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectRejectedBeforeSending } from './expect-validation.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Semaphore on ${target} via ${driver}`, () => {
  it('grants at most `limit` permits; release and expiry free them', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 3, ttlMs: 5000 });
    const permits = await Promise.all(Array.from({ length: 10 }, () => sem.tryAcquire('fax')));
    const held = permits.filter((p) => p !== null);
    expect(held).toHaveLength(3);
    expect(await sem.tryAcquire('fax')).toBeNull();
    expect(await held[0]?.release()).toBe(true);
    expect(await held[0]?.release()).toBe(false); // already given back
    const short = await sem.tryAcquire('fax', { ttlMs: 80 });
    expect(short).not.toBeNull();
    await sleep(200); // `short` expired by itself
    expect(await short?.extend(5000)).toBe(false);
    // The refused extension dropped the expired permit from the holders.
    const holders = connection.keys('lock').key('fax', 'holders');
    expect(await connection.send(['ZSCORE', holders, short?.owner as string], holders)).toBeNull();
    expect(await short?.release()).toBe(false);
    expect(await sem.tryAcquire('fax')).not.toBeNull();
  });

  it('tryAcquire, release and extend cost one EVALSHA each', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 2 });
    const warm = await sem.tryAcquire('warm');
    await warm?.extend();
    await warm?.release();
    const acquired = await countCommands(connection, () => sem.tryAcquire('count'));
    expect(acquired.byCommand.evalsha).toBe(1);
    // Refused: it reads the time, drops expired holders, counts them and reads the earliest expiry;
    // a full semaphore's queue is left alone.
    const second = await sem.tryAcquire('count');
    const refused = await countCommands(connection, () => sem.tryAcquire('count'));
    expect(refused.result).toBeNull();
    expect(refused.total).toBe(5); // evalsha + TIME, ZREMRANGEBYSCORE, ZCARD, ZRANGE
    await second?.release();
    const extended = await countCommands(connection, () => acquired.result?.extend(3000) as Promise<boolean>);
    expect(extended.result).toBe(true);
    expect(extended.byCommand.evalsha).toBe(1);
    const released = await countCommands(connection, () => acquired.result?.release() as Promise<boolean>);
    expect(released.result).toBe(true);
    expect(released.byCommand.evalsha).toBe(1);
  });

  it('a permit extended past the TTL it was taken with stays held', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1, ttlMs: 300 });
    const lease = await sem.tryAcquire('mri');
    expect(await lease?.extend(10_000)).toBe(true);
    await sleep(700); // past the 300 ms it was taken with
    expect(await sem.tryAcquire('mri')).toBeNull();
    expect(lease?.remainingMs()).toBeGreaterThan(5000);
    expect(await lease?.release()).toBe(true);
  });

  it('waiters get permits as holders release; never more than `limit` inside at once', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 2, ttlMs: 5000, waitMs: 20000, pollMs: 10000 });
    let inside = 0;
    let most = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, () =>
        sem.using('pharmacy-api', async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(30);
          inside--;
        }),
      ),
    );
    expect(most).toBe(2);
    // Woken by releases, not by the fallback poll (at least 5 s with jitter).
    expect(Date.now() - started).toBeLessThan(4000);
    await expect(sem.acquire('pharmacy-api', { waitMs: 0 })).resolves.toBeDefined();
  });

  it('serves waiters in FIFO order: each release hands its permit to the longest waiter, no newcomer jumps the queue', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 2, ttlMs: 5000, waitMs: 20000, pollMs: 10000 });
    const queue = connection.keys('lock').key('fifo', 'queue');
    const holders = [await sem.acquire('fifo'), await sem.acquire('fifo')];
    const granted: number[] = [];
    const waiters = Array.from({ length: 5 }, (_, i) => i);
    const leases = [];
    for (const i of waiters) {
      leases.push(
        sem.acquire('fifo').then((lease) => {
          granted.push(i);
          return lease;
        }),
      );
      // Queued one after another, so the queue order is the call order.
      while (Number(await connection.send(['ZCARD', queue], queue)) < i + 1) await sleep(5);
    }
    // A newcomer finds every permit taken and earlier waiters queued: it gets nothing.
    expect(await sem.tryAcquire('fifo')).toBeNull();
    await holders[0]?.release();
    await holders[1]?.release();
    const first = await Promise.all(leases.slice(0, 2));
    expect(granted).toEqual([0, 1]);
    await first[0]?.release();
    await leases[2];
    expect(await sem.tryAcquire('fifo')).toBeNull();
    await first[1]?.release();
    await (await leases[2])?.release();
    await Promise.all(leases.slice(3));
    expect(granted).toEqual([0, 1, 2, 3, 4]);
    for (const lease of await Promise.all(leases.slice(3))) await lease.release();
    expect(Number(await connection.send(['EXISTS', queue], queue))).toBe(0);
  });

  it('a permit that frees by expiry goes to the queued waiter, not to a newcomer', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1, ttlMs: 5000 });
    const ks = connection.keys('lock');
    const [queue, holders] = [ks.key('expiry', 'queue'), ks.key('expiry', 'holders')];
    await sem.acquire('expiry', { ttlMs: 100 });
    // A waiter of another process that is not polling right now: queued, as acquire queues it.
    const now = Number(((await connection.send(['TIME'])) as string[])[0]) * 1_000_000;
    await connection.send(['ZADD', queue, now, '5000|20000|other-process-waiter'], queue);
    await sleep(200); // the holder's permit has expired, and nobody released it
    // The newcomer's own script grants the expired permit to the waiter and takes nothing.
    expect(await sem.tryAcquire('expiry')).toBeNull();
    expect(await connection.send(['ZRANGE', holders, 0, -1], holders)).toEqual(['other-process-waiter']);
    expect(Number(await connection.send(['EXISTS', queue], queue))).toBe(0);
  });

  it('a waiter that takes an expired permit leaves the queue; holders and queue expire with the longest permit and wait', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1, ttlMs: 5000, pollMs: 100 });
    const ks = connection.keys('lock');
    const [queue, holders] = [ks.key('crashed', 'queue'), ks.key('crashed', 'holders')];
    const pttl = async (key: string) => Number(await connection.send(['PTTL', key], key));
    expect(await sem.tryAcquire('crashed', { ttlMs: 2500 })).not.toBeNull(); // its holder never releases
    expect(await pttl(holders)).toBeGreaterThan(1500);
    expect(await pttl(holders)).toBeLessThanOrEqual(2500);
    const waiting = sem.acquire('crashed', { waitMs: 8000 });
    await vi.waitFor(async () => expect(await connection.send(['ZCARD', queue], queue)).toBe(1), { timeout: 2400, interval: 20 });
    expect(await pttl(queue)).toBeGreaterThan(6000);
    expect(await pttl(queue)).toBeLessThanOrEqual(8000);
    const lease = await waiting; // took the permit at a poll once the crashed holder's had expired
    expect(Number(await connection.send(['EXISTS', queue], queue))).toBe(0);
    expect(await pttl(holders)).toBeGreaterThan(4000);
    // Nobody left queued: its release frees the permit for the next caller instead of handing it on.
    expect(await lease.release()).toBe(true);
    expect(await sem.tryAcquire('crashed')).not.toBeNull();
  });

  it('an expired permit frees its place while other permits keep the holders alive, for an acquire and for a release', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 2, ttlMs: 10_000 });
    const ks = connection.keys('lock');
    await sem.tryAcquire('scan'); // keeps the holders set alive
    await sem.tryAcquire('scan', { ttlMs: 100 }); // its holder crashes
    expect(await sem.tryAcquire('scan')).toBeNull();
    await sleep(300);
    expect(await sem.tryAcquire('scan')).not.toBeNull();
    expect(await sem.tryAcquire('scan')).toBeNull();
    // A release hands every place it finds free, the expired one too, to waiters of other processes
    // (queued as acquire queues them, not polling right now).
    const [queue, holders] = [ks.key('print', 'queue'), ks.key('print', 'holders')];
    const long = await sem.tryAcquire('print');
    await sem.tryAcquire('print', { ttlMs: 100 }); // its holder crashes
    const now = Number(((await connection.send(['TIME'])) as string[])[0]) * 1_000_000;
    await connection.send(['ZADD', queue, now, '5000|20000|waiter-1', now + 1, '5000|20000|waiter-2'], queue);
    await sleep(300);
    expect(await long?.release()).toBe(true);
    expect(((await connection.send(['ZRANGE', holders, 0, -1], holders)) as string[]).sort()).toEqual(['waiter-1', 'waiter-2']);
    expect(Number(await connection.send(['EXISTS', queue], queue))).toBe(0);
  });

  it('a waiter checks again when the earliest permit runs out, not only every pollMs', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1, ttlMs: 5000, pollMs: 20_000 });
    expect(await sem.tryAcquire('xray', { ttlMs: 400 })).not.toBeNull(); // its holder crashes
    const started = Date.now();
    // Nobody releases: only the waiter's own check after the expiry can take the permit (a poll
    // every pollMs would come after 10 s at the earliest, past the wait).
    const lease = await sem.acquire('xray', { waitMs: 8000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await lease.release()).toBe(true);
  });

  it('a waiter that gives up leaves the queue and its permit goes to the next one', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1, ttlMs: 5000, pollMs: 10000 });
    const holder = await sem.acquire('leave');
    const impatient = sem.acquire('leave', { waitMs: 300 });
    const patient = sem.acquire('leave', { waitMs: 20000 });
    await expect(impatient).rejects.toBeInstanceOf(LockNotAcquiredError);
    // Its member (`<ttlMs>|<waitMs>|<owner>`) is gone at once, not left for a later script to skip.
    const queue = connection.keys('lock').key('leave', 'queue');
    const members = (await connection.send(['ZRANGE', queue, '0', '-1'], queue)) as string[];
    expect(members.filter((m) => m.startsWith('5000|300|'))).toEqual([]);
    await holder.release();
    const next = await patient;
    expect(next.remainingMs()).toBeGreaterThan(0);
    await next.release();
  });

  it('acquire gives up with LockNotAcquiredError after waitMs', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1 });
    await sem.acquire('one');
    const started = Date.now();
    await expect(sem.acquire('one', { waitMs: 200 })).rejects.toBeInstanceOf(LockNotAcquiredError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const again = sem.acquire('one', { waitMs: 200 });
    await expect(again).rejects.toMatchObject({
      code: 'LOCK_NOT_ACQUIRED',
      resource: 'one',
      message: 'one: no permit of 1 freed up within 200 ms',
    });
    await expect(sem.acquire('one', { waitMs: 0 })).rejects.toMatchObject({ message: 'one: all 1 permits are held' });
  });

  it('rejects bad input before sending anything', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 2 });
    const bad: [string, () => Promise<unknown>][] = [
      ['resource', () => sem.tryAcquire('')],
      ['ttlMs', () => sem.acquire('s', { ttlMs: 0 })],
      ['ttlMs', () => sem.acquire('s', { ttlMs: Number.NaN })],
      ['waitMs', () => sem.acquire('s', { waitMs: -3 })],
      ['resource', () => sem.acquire('x'.repeat(1100))],
      // A controller instead of its signal would otherwise fail only once the wait begins.
      ['signal', () => sem.acquire('s', { signal: new AbortController() as never })],
    ];
    await expectRejectedBeforeSending(connection, bad);
    expect(() => new Semaphore({ connection, limit: 0 })).toThrow(ValidationError);
    expect(() => new Semaphore({ connection, limit: 2.5 })).toThrow(expect.objectContaining({ field: 'limit' }));
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the semaphore at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new Semaphore({ connection, limit: 1 }))).toEqual(['lock']);
  });

  // The TTL minus the drift allowance (ttlMs * driftFactor + 2 ms) is below zero: never valid.
  it('a permit whose validity is gone when granted is given back, never handed out', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1 });
    expect(await sem.tryAcquire('lab', { ttlMs: 1 })).toBeNull();
    const holder = await sem.acquire('lab', { ttlMs: 5000 });
    const queue = connection.keys('lock').key('lab', 'queue');
    // Handed over on release, by message: still too short to use, so the waiter keeps waiting.
    const late = sem.acquire('lab', { ttlMs: 1, waitMs: 1500 });
    while (Number(await connection.send(['ZCARD', queue], queue)) === 0) await sleep(10);
    await holder.release();
    await expect(late).rejects.toBeInstanceOf(LockNotAcquiredError);
  });

  it('a refused try or no-wait acquire does not join the queue behind a waiter', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1 });
    const holder = await sem.acquire('ct');
    const queue = connection.keys('lock').key('ct', 'queue');
    const waiter = sem.acquire('ct', { waitMs: 10_000 });
    while (Number(await connection.send(['ZCARD', queue], queue)) === 0) await sleep(10);
    expect(await sem.tryAcquire('ct')).toBeNull();
    await expect(sem.acquire('ct', { waitMs: 0 })).rejects.toBeInstanceOf(LockNotAcquiredError);
    expect(await connection.send(['ZCARD', queue], queue)).toBe(1);
    await holder.release();
    await (await waiter).release();
  });

  it('the wait ends at waitMs though the holder keeps its permit for long and pollMs is long', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1, ttlMs: 30_000, pollMs: 30_000 });
    const holder = await sem.acquire('pet');
    const started = Date.now();
    await expect(sem.acquire('pet', { waitMs: 200 })).rejects.toBeInstanceOf(LockNotAcquiredError);
    expect(Date.now() - started).toBeLessThan(10_000);
    await holder.release();
  });

  it('using() hands fn the lease and a live signal, and keeps a permit with a short ttlMs past it', async () => {
    const connection = await testConnection();
    const sem = new Semaphore({ connection, limit: 1, ttlMs: 60_000 });
    const seen = await sem.using(
      'dialysis',
      async ({ signal, lease }) => {
        // Past the 1.5 s it was taken with: only extensions every third of it keep it.
        await sleep(2500);
        return { aborted: signal.aborted, remaining: lease.remainingMs(), other: await sem.tryAcquire('dialysis') };
      },
      { ttlMs: 1500 },
    );
    expect(seen.aborted).toBe(false);
    expect(seen.remaining).toBeGreaterThan(0);
    expect(seen.other).toBeNull();
  });
});

// Every module's write path on a Redis full to its maxmemory under noeviction: the documented
// result or a RedisOutOfMemoryError, never a generic error or a silent success, nothing half
// written; and everything works again once memory is freed. Redis checks a script only at its
// first write that could use memory, and only while the script has written nothing: a script
// that starts by deleting (the semaphore drops expired holders first) is let through whole.
import { afterAll, describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { CircuitBreaker } from '../../src/circuit-breaker/index.js';
import { AtomicCounter, BloomFilter, UniqueCounter } from '../../src/counters/index.js';
import { Feed } from '../../src/feed/index.js';
import { GeoIndex } from '../../src/geo/index.js';
import { RedisOutOfMemoryError } from '../../src/index.js';
import { Leaderboard } from '../../src/leaderboard/index.js';
import { FencedLock, Semaphore, SlotHold } from '../../src/lock/index.js';
import { OffloadStore } from '../../src/offload/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { SessionStore } from '../../src/session/index.js';
import { StateMachine } from '../../src/state-machine/index.js';
import { Streaks } from '../../src/streaks/index.js';
import { type FullServer, startFullServer } from '../harness/full-server.js';
import { driver, target } from '../harness/redis.js';

const intake = { initial: 'new', transitions: { new: ['done'], done: [] } } as const;

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`every module on a full Redis (noeviction) via ${driver}`, () => {
  let full: FullServer;
  afterAll(async () => full?.close());

  it('writes fail with RedisOutOfMemoryError or their documented result, write nothing, and work again after', async () => {
    full = await startFullServer('noeviction');
    const { connection } = full;
    const modules = {
      cache: new Cache({ connection, ttlMs: 60_000, offlineBackoffMs: 0 }),
      lock: new FencedLock({ connection }),
      semaphore: new Semaphore({ connection, limit: 2 }),
      holds: new SlotHold({ connection }),
      sessions: new SessionStore({ connection }),
      queue: new StreamQueue({ connection, name: 'sync' }),
      geo: new GeoIndex({ connection, name: 'pharmacies' }),
      feed: new Feed({ connection }),
      streaks: new Streaks({ connection }),
      board: new Leaderboard({ connection, name: 'adherence' }),
      unique: new UniqueCounter({ connection }),
      windows: new AtomicCounter({ connection, windowMs: 60_000, windows: 2 }),
      bloom: new BloomFilter({ connection, name: 'seen', capacity: 1000, backend: 'lua' }),
      machine: new StateMachine({ connection, name: 'intake', definition: intake }),
      offload: new OffloadStore({ connection, name: 'appointments' }),
    };
    // The writes each module makes for a new id: refused while full, all fine afterwards.
    const writes: [string, (n: number) => Promise<unknown>][] = [
      ['lock.acquire', (n) => modules.lock.acquire(`rx-${n}`, { waitMs: 0 })],
      ['semaphore.acquire', (n) => modules.semaphore.acquire(`api-${n}`, { waitMs: 0 })],
      ['slot.hold', (n) => modules.holds.hold(`slot-${n}`, 'patient')],
      ['session.create', (n) => modules.sessions.create(`user-${n}`)],
      ['queue.add', (n) => modules.queue.add('sync', { n })],
      ['geo.add', (n) => modules.geo.add({ member: `pharmacy-${n}`, lon: 13.4, lat: 52.5 })],
      ['feed.add', (n) => modules.feed.add(`owner-${n}`, { id: 'item', data: { n } })],
      ['streaks.record', (n) => modules.streaks.record(`user-${n}`, 'check-in', Date.now())],
      ['leaderboard.add', (n) => modules.board.add(`member-${n}`, n)],
      ['unique.track', (n) => modules.unique.track(`counter-${n}`, 'visitor')],
      ['windows.increment', (n) => modules.windows.increment(`counter-${n}`)],
      ['bloom.add', (n) => modules.bloom.add(`item-${n}`)],
      ['machine.start', (n) => modules.machine.start(`flow-${n}`)],
      ['offload.update', (n) => modules.offload.update(`appointment-${n}`, { status: 'booked' })],
    ];
    const before = Number(await connection.send(['DBSIZE']));
    await full.fill();
    const filled = Number(await connection.send(['DBSIZE']));
    // Scripts whose first write frees memory (they drop expired or replaced entries first).
    const servedWhenFull = new Set(['semaphore.acquire', 'geo.add']);
    let createdWhileFull = 0;
    for (const [what, write] of writes) {
      const keysBefore = Number(await connection.send(['DBSIZE']));
      const error = await write(1).then(
        () => undefined,
        (e: unknown) => e,
      );
      const created = Number(await connection.send(['DBSIZE'])) - keysBefore;
      if (servedWhenFull.has(what)) {
        // Served whole: it wrote what it always writes.
        expect(error, what).toBeUndefined();
        expect(created, what).toBeGreaterThan(0);
        createdWhileFull += created;
        continue;
      }
      expect(error, what).toBeInstanceOf(RedisOutOfMemoryError);
      expect((error as RedisOutOfMemoryError).code, what).toBe('REDIS_OOM');
      // Refused whole: not one key written.
      expect(created, what).toBe(0);
    }
    // The cache skips its write and serves the loader; a breaker keeps working (on local state).
    let loads = 0;
    expect(await modules.cache.set('provider:1', 'x')).toBe(false);
    expect(await modules.cache.wrap('provider:2', async () => ++loads)).toBe(1);
    const breaker = new CircuitBreaker({ connection, name: 'eprescribe', failureThreshold: 5 });
    expect(await breaker.execute(async () => 'sent')).toBe('sent');
    await breaker.close();
    // Nothing was half written: no key more than the filler, but what served writes created.
    expect(Number(await connection.send(['DBSIZE']))).toBe(filled + createdWhileFull);

    await full.free();
    expect(Number(await connection.send(['DBSIZE']))).toBe(before + createdWhileFull);
    for (const [what, write] of writes) await expect(write(2), what).resolves.toBeDefined();
    expect(await modules.cache.set('provider:1', 'x')).toBe(true);
  }, 60_000);
});

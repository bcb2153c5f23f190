import { describe, expect, it, vi } from 'vitest';
import { keySlot } from '../../src/core/slots.js';
import { EvictionPolicyError } from '../../src/index.js';
import { FencedLock, FencedStore, LockLostError, LockNotAcquiredError, MAX_FENCED_FIELDS } from '../../src/lock/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter, startFullServer } from '../harness/full-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { expectInvalid } from '../harness/validation.js';
import { expectRejectedBeforeSending } from './expect-validation.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`FencedLock on ${target} via ${driver}`, () => {
  it('grants one holder, refuses a second, and hands out increasing tokens across release and expiry', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    const a = await locks.tryAcquire('rx:1');
    expect(a).not.toBeNull();
    expect(await locks.tryAcquire('rx:1')).toBeNull();
    expect(await a?.release()).toBe(true);
    const b = await locks.tryAcquire('rx:1', { ttlMs: 60 });
    expect(b?.token).toBeGreaterThan(a?.token as number);
    await sleep(150); // b expires without a release
    const c = await locks.tryAcquire('rx:1');
    expect(c?.token).toBeGreaterThan(b?.token as number);
    expect(await b?.release()).toBe(false); // expired: never deletes c's lock
    expect(await locks.tryAcquire('rx:1')).toBeNull();
    expect(c?.remainingMs()).toBeGreaterThan(0);
  });

  it('concurrent acquisitions share EVALSHAs: one winner per resource, tokens distinct and increasing', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    await (await locks.tryAcquire('warm-up'))?.release(); // loads the scripts outside the count
    const resources = ['slot:a', 'slot:b', 'slot:c', 'slot:d'];
    const { result, byCommand } = await countCommands(connection, () =>
      Promise.all(resources.flatMap((r) => Array.from({ length: 8 }, () => locks.tryAcquire(r)))),
    );
    const won = result.filter((l) => l !== null);
    expect(won.map((l) => l?.resource).sort()).toEqual(resources);
    expect(byCommand.evalsha).toBeLessThan(resources.length * 8);
    expect(byCommand.get).toBe(resources.length * 8); // every call read its lock
    expect(byCommand.set).toBe(resources.length); // only the winners set it
    expect(byCommand.incr).toBe(resources.length); // and took a token
    const { result: released, byCommand: releases } = await countCommands(connection, () => Promise.all(won.map((l) => l?.release())));
    expect(released).toEqual(resources.map(() => true));
    expect(releases.evalsha).toBeLessThanOrEqual(target === 'cluster' ? resources.length : 1);
    // A later holder of each resource gets a greater token.
    for (const l of won) expect((await locks.tryAcquire(l?.resource as string))?.token).toBeGreaterThan(l?.token as number);
  });

  it('fencing counters are one per hash slot: 2,000 resources locked once leave no key per resource', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    const ids = Array.from({ length: 2000 }, (_, i) => `appointment:${i}`);
    const tokens = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 200) {
      const leases = await Promise.all(ids.slice(i, i + 200).map((id) => locks.tryAcquire(id)));
      for (const lease of leases) tokens.set(lease?.resource as string, lease?.token as number);
      await Promise.all(leases.map((l) => l?.release()));
    }
    const left: string[] = [];
    for await (const batch of connection.scan(connection.keys('lock').pattern())) left.push(...batch);
    // Only counters remain, each in the slot of the resources it serves: at most one per slot used.
    expect(left.every((k) => k.endsWith(':fence'))).toBe(true);
    const slots = new Set(ids.map((id) => keySlot(connection.keys('lock').stem(id))));
    expect(left.length).toBeLessThanOrEqual(slots.size);
    expect(left.length).toBeGreaterThan(0);
    // A resource locked again gets a greater token than its last, from its slot's counter.
    for (const id of ids.slice(0, 50)) expect((await locks.tryAcquire(id))?.token).toBeGreaterThan(tokens.get(id) as number);
  });

  it('tryAcquire, release and extend cost one EVALSHA each', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    await (await locks.tryAcquire('warm'))?.release(); // loads the scripts
    const acquired = await countCommands(connection, () => locks.tryAcquire('count'));
    expect(acquired.byCommand.evalsha).toBe(1);
    const lease = acquired.result;
    expect(lease).not.toBeNull();
    const busy = await countCommands(connection, () => locks.tryAcquire('count'));
    expect(busy.result).toBeNull();
    expect(busy.byCommand.evalsha).toBe(1);
    await lease?.extend(1000); // loads extend.lua
    const extended = await countCommands(connection, () => lease?.extend(2000) as Promise<boolean>);
    expect(extended.result).toBe(true);
    expect(extended.byCommand.evalsha).toBe(1);
    expect(extended.byCommand.pexpire).toBe(1);
    const released = await countCommands(connection, () => lease?.release() as Promise<boolean>);
    expect(released.result).toBe(true);
    expect(released.byCommand.evalsha).toBe(1);
    // Every command of each call, Lua's inner ones included, for the docs' cost table.
    expect(acquired.total).toBe(4); // evalsha + GET, INCR, SET
    expect(released.total).toBe(4); // evalsha + GET, ZPOPMIN, DEL
  });

  it('extend refuses a lock that passed to another owner, and leaves it alone', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const old = await locks.tryAcquire('ext', { ttlMs: 50 });
    await sleep(120);
    const fresh = await locks.tryAcquire('ext', { ttlMs: 5000 });
    expect(fresh).not.toBeNull();
    expect(await old?.extend(5000)).toBe(false);
    expect(old?.remainingMs()).toBe(0);
    expect(await locks.tryAcquire('ext')).toBeNull();
    expect(await fresh?.extend(5000)).toBe(true);
  });

  it('hands the lock to waiters in FIFO order on release, without waiting for a poll', async () => {
    const connection = await testConnection();
    // Polling would take 10 s: only the handoff message can explain a fast grant.
    const locks = new FencedLock({ connection, ttlMs: 20000, waitMs: 15000, pollMs: 10000 });
    const first = await locks.acquire('fifo');
    const order: number[] = [];
    const waiters = [0, 1, 2, 3].map(async (i) => {
      await sleep(i * 100); // queue in a known order
      const lease = await locks.acquire('fifo');
      order.push(i);
      await sleep(20);
      await lease.release();
      return lease.token;
    });
    await sleep(600);
    const started = Date.now();
    await first.release();
    const tokens = await Promise.all(waiters);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(tokens[0]).toBeGreaterThan(first.token);
  });

  it('a waiter that gives up leaves the queue, and a handoff to it moves on', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 10000, pollMs: 5000 });
    const holder = await locks.acquire('giveup');
    const impatient = locks.acquire('giveup', { waitMs: 300 });
    const patient = locks.acquire('giveup', { waitMs: 8000 });
    await expect(impatient).rejects.toBeInstanceOf(LockNotAcquiredError);
    await expect(impatient).rejects.toMatchObject({
      code: 'LOCK_NOT_ACQUIRED',
      resource: 'giveup',
      message: 'giveup: still held after waiting 300 ms',
    });
    // Without a wait: told at once, and why.
    await expect(locks.acquire('giveup', { waitMs: 0 })).rejects.toMatchObject({
      code: 'LOCK_NOT_ACQUIRED',
      message: 'giveup: the lock is held',
    });
    await holder.release();
    const next = await patient;
    expect(next.token).toBe(holder.token + 1);
    await next.release();
  });

  it('a waiter that takes an expired lock leaves the queue, which lives as long as the wait', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000, pollMs: 100 });
    const queue = connection.keys('lock').key('crashed', 'queue');
    const crashed = await locks.tryAcquire('crashed', { ttlMs: 2500 }); // its holder never releases
    const waiting = locks.acquire('crashed', { waitMs: 8000 });
    await vi.waitFor(async () => expect(await connection.send(['ZCARD', queue], queue)).toBe(1), { timeout: 2400, interval: 20 });
    // The queue outlives the wait, so it is there for every release during it, and no longer.
    const queueTtl = Number(await connection.send(['PTTL', queue], queue));
    expect(queueTtl).toBeGreaterThan(6000);
    expect(queueTtl).toBeLessThanOrEqual(8000);
    const lease = await waiting; // found the lock free at a poll once the crashed holder's TTL ran out
    expect(lease.token).toBeGreaterThan(crashed?.token as number);
    expect(await connection.send(['EXISTS', queue], queue)).toBe(0);
    // Nobody left queued: its release frees the lock for the next caller instead of handing it on.
    expect(await lease.release()).toBe(true);
    expect(await locks.tryAcquire('crashed')).not.toBeNull();
  });

  it('aborting a waiter rejects with the reason and leaves no lock behind', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const holder = await locks.acquire('abort');
    const controller = new AbortController();
    const waiting = locks.acquire('abort', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('patient left')), 100);
    await expect(waiting).rejects.toThrow('patient left');
    await holder.release();
    const again = await locks.tryAcquire('abort');
    expect(again).not.toBeNull();
  });

  it('a released lease is over: no validity left, and extend refuses without asking Redis', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 30000 });
    const lease = await locks.acquire('done-with');
    await lease.extend(); // loads extend.lua
    expect(await lease.release()).toBe(true);
    expect(lease.remainingMs()).toBe(0);
    const extended = await countCommands(connection, () => lease.extend());
    expect(extended.result).toBe(false);
    expect(extended.total).toBe(0);
  });

  it('an extension Redis granted is still refused when its validity is used up by the drift margin', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 30000 });
    const lease = await locks.acquire('too-short');
    // A 1 ms TTL is less than the 2 ms drift allowance: granted in Redis, never valid here.
    expect(await lease.extend(1)).toBe(false);
    expect(lease.remainingMs()).toBe(0);
  });

  it('publishes extend (extended or lost), release with how long the lock was held, and using with completed, failed or lost', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 300 });
    const ks = connection.keys('lock');
    let heldFor = 0;
    const seen = await tracedOperations('lock', async () => {
      const started = performance.now();
      const lease = await locks.acquire('traced');
      await lease.extend(30000);
      await lease.release();
      heldFor = performance.now() - started;
      const gone = await locks.acquire('traced', { ttlMs: 30000 });
      await connection.send(['DEL', ks.key('traced', 'owner')], ks.key('traced', 'owner'));
      await gone.extend();
      await locks.using('traced', async () => 'fine');
      await locks.using('traced', async () => Promise.reject(new Error('fn failed'))).catch(() => undefined);
      await locks
        .using('traced', async ({ signal }) => {
          await connection.send(['DEL', ks.key('traced', 'owner')], ks.key('traced', 'owner'));
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        })
        .catch(() => undefined);
    });
    const ops = seen.filter((c) => c.operation !== 'acquire').map((c) => [c.operation, c.outcome]);
    expect(ops.slice(0, 3)).toEqual([
      ['extend', 'extended'],
      ['release', 'released'],
      ['extend', 'lost'],
    ]);
    expect(ops.filter(([op]) => op === 'using').map(([, outcome]) => outcome)).toEqual(['completed', 'failed', 'lost']);
    const heldMs = seen.find((c) => c.operation === 'release')?.measurements?.heldMs as number;
    expect(heldMs).toBeGreaterThanOrEqual(0);
    expect(heldMs).toBeLessThanOrEqual(heldFor);
  });

  it('using() extends while fn runs and always releases', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 150 });
    const result = await locks.using('long', async ({ signal, token }) => {
      await sleep(500); // more than 3 TTLs: only extensions keep it
      expect(signal.aborted).toBe(false);
      expect(await locks.tryAcquire('long')).toBeNull();
      return token;
    });
    expect(result).toBeGreaterThan(0);
    expect(await locks.tryAcquire('long')).not.toBeNull();
    await expect(locks.using('boom', async () => Promise.reject(new Error('fn failed')))).rejects.toThrow('fn failed');
    expect(await locks.tryAcquire('boom')).not.toBeNull();
  });

  it('using() aborts the signal with LockLostError when the lock is taken away', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 300 });
    const ks = connection.keys('lock');
    const run = locks.using('lost', async ({ signal }) => {
      // Someone deletes the lock (an operator, a bug): the next extension is refused.
      await connection.send(['DEL', ks.key('lost', 'owner')], ks.key('lost', 'owner'));
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      expect(signal.reason).toBeInstanceOf(LockLostError);
      // Told by the refused extension (a third of the TTL in), not by the validity running out later.
      expect(signal.reason).toMatchObject({
        code: 'LOCK_LOST',
        resource: 'lost',
        message: 'lost: extension refused: the lock expired or has another owner',
      });
      return 'done';
    });
    await expect(run).rejects.toBeInstanceOf(LockLostError);
  });

  it('stale holder: its release is refused and its fenced write rejected, the new holder writes', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const store = new FencedStore({ connection });
    const stale = await locks.acquire('refill:9', { ttlMs: 100 });
    expect((await store.write('refill:9', stale.token, { status: 'sending' })).written).toBe(true);
    await sleep(250); // "GC pause" past the TTL
    const fresh = await locks.acquire('refill:9', { ttlMs: 5000 });
    expect(await stale.release()).toBe(false);
    const staleWrite = await store.write('refill:9', stale.token, { status: 'sent-by-stale' });
    expect(staleWrite).toEqual({ written: false, newestToken: fresh.token });
    const freshWrite = await countCommands(connection, () => store.write('refill:9', fresh.token, { status: 'sent', by: 'fresh' }));
    expect(freshWrite.result.written).toBe(true);
    expect(freshWrite.byCommand.evalsha).toBe(1);
    expect(await store.read('refill:9')).toEqual({ status: 'sent', by: 'fresh' });
    expect(await locks.tryAcquire('refill:9')).toBeNull(); // the stale release did not free it
  });

  it('a fenced record remembers its newest writer once the lock is gone, and expires ttlMs after its last write', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const store = new FencedStore({ connection });
    // A holder whose lock ran out while nobody else took it is still the newest: it may write.
    const slow = await locks.acquire('chart:7', { ttlMs: 100 });
    await sleep(250);
    expect(await store.write('chart:7', slow.token, { note: 'late' })).toEqual({ written: true, newestToken: slow.token });
    // A newer holder writes and releases: its token stays with the record, the older holder stays out.
    const next = await locks.acquire('chart:7');
    expect(await store.write('chart:7', next.token, { note: 'reviewed' })).toEqual({ written: true, newestToken: next.token });
    expect(await next.release()).toBe(true);
    expect(await store.write('chart:7', slow.token, { note: 'stale' })).toEqual({ written: false, newestToken: next.token });
    expect(await store.read('chart:7')).toEqual({ note: 'reviewed' });
    // With ttlMs, a record no one writes to any more goes away by itself.
    const expiring = new FencedStore({ connection, ttlMs: 300 });
    const lease = await locks.acquire('chart:8');
    expect((await expiring.write('chart:8', lease.token, { note: 'draft' })).written).toBe(true);
    expect(await expiring.read('chart:8')).toEqual({ note: 'draft' });
    await sleep(700);
    expect(await expiring.read('chart:8')).toBeNull();
  });

  it(`a fenced write sets up to MAX_FENCED_FIELDS (${MAX_FENCED_FIELDS}) fields in one EVALSHA, and refuses one more`, async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const store = new FencedStore({ connection });
    const lease = await locks.acquire('wide');
    const fields = Object.fromEntries(Array.from({ length: MAX_FENCED_FIELDS }, (_, i) => [`f${i}`, i]));
    const { result, byCommand } = await countCommands(connection, () => store.write('wide', lease.token, fields));
    expect(result.written).toBe(true);
    expect(byCommand.evalsha).toBe(1);
    const stored = await store.read('wide');
    expect(Object.keys(stored ?? {})).toHaveLength(MAX_FENCED_FIELDS);
    expect(stored?.[`f${MAX_FENCED_FIELDS - 1}`]).toBe(MAX_FENCED_FIELDS - 1);
    await expectRejectedBeforeSending(connection, [['fields', () => store.write('wide', lease.token, { ...fields, extra: 1 })]]);
  });

  it.runIf(target === 'standalone')(
    'strict eviction check: a store used without any lock is refused on a server that may evict its records',
    async () => {
      // A record evicted would forget its newest token, and let a stale holder write again.
      const full = await startFullServer('allkeys-lru', { evictionCheck: 'strict' });
      try {
        const store = new FencedStore({ connection: full.connection });
        const error = await store.write('refill:3', 1, { status: 'sent' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EvictionPolicyError);
        expect((error as EvictionPolicyError).report.modulesAtRisk).toEqual(['lock']);
      } finally {
        await full.close();
      }
    },
  );

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the lock at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new FencedLock({ connection }))).toEqual(['lock']);
  });

  // The TTL minus the drift allowance (ttlMs * driftFactor + 2 ms) is below zero: never valid.
  it('a lock whose validity is gone when granted is released, never handed out', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    expect(await locks.tryAcquire('ward-3', { ttlMs: 1 })).toBeNull();
    const holder = await locks.acquire('ward-3', { ttlMs: 5000 });
    const queue = connection.keys('lock').key('ward-3', 'queue');
    // Handed over on release, by message: still too short to use, so the waiter keeps waiting.
    const late = locks.acquire('ward-3', { ttlMs: 1, waitMs: 1500 });
    while (Number(await connection.send(['ZCARD', queue], queue)) === 0) await sleep(10);
    await holder.release();
    await expect(late).rejects.toBeInstanceOf(LockNotAcquiredError);
  });

  it('the wait ends at waitMs though the holder keeps the lock for long and pollMs is long', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 30_000, pollMs: 30_000 });
    const holder = await locks.acquire('ward-4');
    const started = Date.now();
    await expect(locks.acquire('ward-4', { waitMs: 200 })).rejects.toBeInstanceOf(LockNotAcquiredError);
    expect(Date.now() - started).toBeLessThan(10_000);
    await holder.release();
  });

  it('using() with a short ttlMs extends every third of it, not of the default', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 60_000 });
    const seen = await locks.using(
      'ward-5',
      async ({ signal, lease }) => {
        // Past the 1.5 s it was taken with: only extensions every third of it keep it.
        await sleep(2500);
        return { aborted: signal.aborted, remaining: lease.remainingMs(), other: await locks.tryAcquire('ward-5') };
      },
      { ttlMs: 1500 },
    );
    expect(seen).toEqual({ aborted: false, remaining: expect.any(Number), other: null });
    expect(seen.remaining).toBeGreaterThan(0);
  });

  it('a waiter polls every pollMs, not only when the holder would expire, to cover a lost handoff', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 60_000, pollMs: 50 });
    const holder = await locks.acquire('ward-7');
    const queue = connection.keys('lock').key('ward-7', 'queue');
    const waiter = locks.acquire('ward-7', { waitMs: 10_000 });
    while (Number(await connection.send(['ZCARD', queue], queue)) === 0) await sleep(10);
    // Freed with no message (as if the handoff's message were lost): only a poll finds it.
    const key = connection.keys('lock').key('ward-7', 'owner');
    await connection.send(['DEL', key], key);
    const lease = await waiter;
    expect(lease.token).toBeGreaterThan(holder.token);
    await lease.release();
  });

  it('rejects bad input before sending anything', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const store = new FencedStore({ connection });
    const lease = await locks.acquire('valid');
    const bad: [string, () => Promise<unknown>][] = [
      ['resource', () => locks.tryAcquire('')],
      ['resource', () => locks.acquire('x'.repeat(2000))],
      ['ttlMs', () => locks.acquire('r', { ttlMs: 0 })],
      ['ttlMs', () => locks.acquire('r', { ttlMs: -5 })],
      ['ttlMs', () => locks.acquire('r', { ttlMs: Number.POSITIVE_INFINITY })],
      ['ttlMs', () => locks.acquire('r', { ttlMs: Number.NaN })],
      ['waitMs', () => locks.acquire('r', { waitMs: -1 })],
      ['signal', () => locks.acquire('r', { signal: new AbortController() as never })],
      ['signal', () => locks.acquireAll(['r', 's'], { signal: {} as never })],
      ['resource', () => locks.tryAcquire(42 as unknown as string)],
      ['ttlMs', () => lease.extend(0)],
      ['token', () => store.write('r', 0, { a: 1 })],
      ['fields', () => store.write('r', 1, {})],
      ['resource', () => store.write('', 1, { a: 1 })],
      // Names starting with `_` are the store's own (`_fence` keeps the newest token).
      ['field', () => store.write('r', 1, { _fence: 1 })],
      ['field', () => store.write('r', 1, { '': 1 })],
      ['resource', () => store.read('')],
    ];
    await expectRejectedBeforeSending(connection, bad);
    // Constructors name the option that is wrong, so a misconfiguration is found from the message alone.
    await expectInvalid(() => new FencedLock({ connection, ttlMs: 0 }), 'ttlMs');
    await expectInvalid(() => new FencedLock({ connection, waitMs: -1 }), 'waitMs');
    await expectInvalid(() => new FencedLock({ connection, pollMs: -1 }), 'pollMs');
    await expectInvalid(() => new FencedLock({ connection, driftFactor: 2 }), 'driftFactor');
    await expectInvalid(() => new FencedStore({ connection, ttlMs: -1 }), 'ttlMs');
  });
});

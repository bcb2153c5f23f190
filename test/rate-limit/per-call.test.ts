import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import {
  FixedWindowLimiter,
  GcraLimiter,
  MAX_WAIT_MS,
  SlidingWindowLogLimiter,
  TokenBucketLimiter,
  type WindowLimit,
} from '../../src/rate-limit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { algorithms } from './algorithms.js';

const plans: Record<string, WindowLimit> = { free: { limit: 2, windowMs: 60_000 }, pro: { limit: 5, windowMs: 60_000 } };

describe(`rate-limit per-call limits on ${target} via ${driver}`, () => {
  it('one limiter serves every plan: each call counts against its own limits, in one EVALSHA', async () => {
    const connection = await testConnection();
    const api = new SlidingWindowLogLimiter({ connection, name: 'api', limit: 1, windowMs: 60_000 });
    const free = [];
    for (let i = 0; i < 3; i++) free.push(await api.check('tenant:free', { limits: plans.free }));
    expect(free.map((r) => r.allowed)).toEqual([true, true, false]);
    expect(free[0]).toMatchObject({ limit: 2, remaining: 1, windowMs: 60_000 });
    const { result, byCommand } = await countCommands(connection, async () => {
      const out = [];
      for (let i = 0; i < 6; i++) out.push(await api.check('tenant:pro', { limits: plans.pro }));
      return out;
    });
    expect(result.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
    expect(byCommand.evalsha).toBe(6);
    // The configured limit (1) still applies without per-call limits.
    expect((await api.check('tenant:none')).allowed).toBe(true);
    expect((await api.check('tenant:none')).allowed).toBe(false);
    // A plan upgrade takes effect at once: the same counts, a larger limit.
    expect((await api.check('tenant:free', { limits: plans.pro })).allowed).toBe(true);
    // peek, penalty and reward take the call's limits too.
    expect(await api.peek('tenant:pro', { limits: plans.pro })).toMatchObject({ allowed: false, remaining: 0, limit: 5 });
    expect(await api.reward('tenant:pro', 2, { limits: plans.pro })).toMatchObject({ remaining: 2, limit: 5 });
  });

  it.each(algorithms)('$name: several per-call limits, all or nothing', async (algo) => {
    const connection = await testConnection();
    const limiter = algo.make(connection, [
      [1, 1000],
      [1, 60_000],
    ]);
    const own =
      algo.name === 'token bucket'
        ? [
            { capacity: 3, refillRate: 3, refillIntervalMs: 1000 },
            { capacity: 4, refillRate: 4, refillIntervalMs: 60_000 },
          ]
        : algo.name === 'gcra'
          ? [
              { limit: 3, periodMs: 1000 },
              { limit: 4, periodMs: 60_000 },
            ]
          : [
              { limit: 3, windowMs: 1000 },
              { limit: 4, windowMs: 60_000 },
            ];
    const r = await limiter.check('x', { limits: own, cost: 3 });
    expect(r.allowed).toBe(true);
    expect(r.limits.map((l) => l.limit)).toEqual([3, 4]);
    expect(r.limits.map((l) => l.remaining)).toEqual([0, 1]);
    expect(r.limits.map((l) => l.windowMs)).toEqual([1000, 60_000]);
  });

  it('rejects bad per-call limits, and a cost above the call smallest limit, with ValidationError and sends nothing', async () => {
    const connection = await testConnection();
    const api = new FixedWindowLimiter({ connection, limit: 10, windowMs: 1000 });
    const bucket = new TokenBucketLimiter({ connection, capacity: 10, refillRate: 1 });
    const gcra = new GcraLimiter({ connection, limit: 10, periodMs: 1000 });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => api.check('a', { limits: { limit: 0, windowMs: 1000 } }), 'limits.limit');
      await expectInvalid(() => api.check('a', { limits: { limit: -1, windowMs: 1000 } }), 'limits.limit');
      await expectInvalid(() => api.check('a', { limits: [{ limit: 1, windowMs: 1.5 }] }), 'limits[0].windowMs');
      await expectInvalid(() => api.check('a', { limits: [] }), 'limits', /must hold 1 limit/);
      await expectInvalid(
        () =>
          api.check('a', {
            limits: [
              { limit: 1, windowMs: 1 },
              { limit: 1, windowMs: 1 },
            ],
          }),
        'limits',
      );
      await expectInvalid(() => api.check('a', { limits: null as unknown as WindowLimit }), 'limits.limit');
      await expectInvalid(() => api.check('a', { limits: { limit: 2, windowMs: 1000 }, cost: 3 }), 'cost', /at most 2/);
      await expectInvalid(() => api.check('a', { cost: -1 }), 'cost');
      await expectInvalid(() => api.penalty('a', 1, { limits: { limit: 0, windowMs: 1 } }), 'limits.limit');
      await expectInvalid(() => bucket.check('a', { limits: { capacity: 1, refillRate: 0 } }), 'limits.refillRate');
      await expectInvalid(() => gcra.check('a', { limits: { limit: 1, periodMs: 1, burst: 0 } }), 'limits.burst');
    });
    expect(total).toBe(0);
  });

  it('says how many limits a call must give: as many as configured', async () => {
    const connection = await testConnection();
    const one = new FixedWindowLimiter({ connection, limit: 10, windowMs: 1000 });
    const two = new FixedWindowLimiter({
      connection,
      limits: [
        { limit: 10, windowMs: 1000 },
        { limit: 20, windowMs: 60_000 },
      ],
    });
    await expectInvalid(
      () => one.check('a', { limits: [] }),
      'limits',
      /^limits: must hold 1 limit, as configured \(they count in the same keys\), got 0$/,
    );
    await expectInvalid(() => two.check('a', { limits: plans.free }), 'limits', /^limits: must hold 2 limits, as configured .*, got 1$/);
    await expectInvalid(() => two.peek('a', { limits: [plans.free, plans.pro, plans.pro] as WindowLimit[] }), 'limits', /got 3$/);
  });

  it('the block cache keeps a rejection for its own limits only', async () => {
    const connection = await testConnection();
    const api = new FixedWindowLimiter({ connection, limit: 1, windowMs: 60_000, blockCache: true });
    await api.check('t', { limits: plans.free });
    await api.check('t', { limits: plans.free });
    expect((await api.check('t', { limits: plans.free })).allowed).toBe(false);
    expect((await api.check('t', { limits: plans.free })).source).toBe('block-cache');
    // Another plan asks Redis: the block of the free plan says nothing about it.
    const upgraded = await countCommands(connection, () => api.check('t', { limits: plans.pro }));
    expect(upgraded.byCommand.evalsha).toBe(1);
    expect(upgraded.result).toMatchObject({ allowed: true, source: 'redis', limit: 5 });
  });

  it('the block cache tells apart plans whose numbers read alike run together', async () => {
    const connection = await testConnection();
    const one = new FixedWindowLimiter({ connection, name: 'alike-1', limit: 1, windowMs: 60_000, blockCache: true });
    // 1 per 65 s and 16 per 5 s: "1" "65000" and "16" "5000".
    const slow = { limit: 1, windowMs: 65_000 };
    await one.check('t', { limits: slow });
    expect((await one.check('t', { limits: slow })).source).toBe('redis');
    expect((await one.check('t', { limits: slow })).source).toBe('block-cache');
    const other = await countCommands(connection, () => one.check('t', { limits: { limit: 16, windowMs: 5000 } }));
    expect(other.byCommand.evalsha).toBe(1);
    expect(other.result.source).toBe('redis');
    // Two limits each: (1 per 60 s, 21 per 5 ms) and (1 per 600,002 ms, 1 per 5 ms).
    const two = new FixedWindowLimiter({
      connection,
      name: 'alike-2',
      limits: [
        { limit: 1, windowMs: 60_000 },
        { limit: 1, windowMs: 60_000 },
      ],
      blockCache: true,
    });
    const first = [
      { limit: 1, windowMs: 60_000 },
      { limit: 21, windowMs: 5 },
    ];
    await two.check('t', { limits: first });
    expect((await two.check('t', { limits: first })).source).toBe('redis');
    expect((await two.check('t', { limits: first })).source).toBe('block-cache');
    const second = [
      { limit: 1, windowMs: 600_002 },
      { limit: 1, windowMs: 5 },
    ];
    const next = await countCommands(connection, () => two.check('t', { limits: second }));
    expect(next.byCommand.evalsha).toBe(1);
    expect(next.result.source).toBe('redis');
  });
});

describe(`rate-limit allow and deny lists on ${target} via ${driver}`, () => {
  it('answers listed identities in process, without a round trip; the deny list wins', async () => {
    const connection = await testConnection();
    const api = new FixedWindowLimiter({
      connection,
      limits: [
        { limit: 1, windowMs: 1000 },
        { limit: 5, windowMs: 60_000 },
      ],
      allowList: ['svc:billing', 'both'],
      denyList: new Set(['ip:203.0.113.9', 'both']),
    });
    await api.check('warm'); // loads the script outside the count
    const { result, total } = await countCommands(connection, async () => [
      await api.check('svc:billing'),
      await api.check('svc:billing', { cost: 1 }),
      await api.peek('svc:billing'),
      await api.check('ip:203.0.113.9'),
      await api.check('both'),
    ]);
    expect(total).toBe(0);
    const [allowed, again, peeked, denied, both] = result;
    expect(allowed).toMatchObject({ allowed: true, source: 'allow-list', remaining: 1, retryAfterMs: 0 });
    expect(again?.allowed).toBe(true);
    expect(peeked?.source).toBe('allow-list');
    expect(denied).toMatchObject({ allowed: false, source: 'deny-list', remaining: 0, retryAfterMs: 60_000 });
    expect(both?.source).toBe('deny-list');
    // Nothing was taken for the allowed identity; everyone else goes to Redis.
    const other = await countCommands(connection, () => api.check('patient:1'));
    expect(other.byCommand.evalsha).toBe(1);
    expect(other.result.source).toBe('redis');
  });

  it('takes a function for lists that change, and still validates the identity first', async () => {
    const connection = await testConnection();
    const banned = new Set<string>();
    const api = new FixedWindowLimiter({ connection, limit: 3, windowMs: 1000, denyList: (id) => banned.has(id) });
    expect((await api.check('u1')).source).toBe('redis');
    banned.add('u1');
    expect((await api.check('u1')).source).toBe('deny-list');
    const { total } = await countCommands(connection, () => expectInvalid(() => api.check(''), 'identity'));
    expect(total).toBe(0);
    expect(() => new FixedWindowLimiter({ connection, limit: 1, windowMs: 1, allowList: [''] })).toThrow(ValidationError);
    expect(() => new FixedWindowLimiter({ connection, limit: 1, windowMs: 1, denyList: 'x' as unknown as string[] })).toThrow(
      ValidationError,
    );
  });
});

describe(`rate-limit waitFor on ${target} via ${driver}`, () => {
  it('waits for the next slot and takes it; gives up at once when the slot is further than maxWaitMs', async () => {
    const connection = await testConnection();
    const partner = new GcraLimiter({ connection, name: 'partner', limit: 4, periodMs: 1000, burst: 1 }); // one per 250 ms
    const started = performance.now();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await partner.waitFor('acme', { maxWaitMs: 2000 }));
    const elapsed = performance.now() - started;
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 250 - 30);
    expect(elapsed).toBeLessThan(3000);
    // The next slot is about 250 ms away: a 50 ms budget resolves the rejection at once, taking nothing.
    const quick = performance.now();
    const refused = await partner.waitFor('acme', { maxWaitMs: 50 });
    expect(refused.allowed).toBe(false);
    expect(performance.now() - quick).toBeLessThan(200);
    expect((await partner.peek('acme')).retryAfterMs).toBeGreaterThan(0);
  });

  it('serves waiters of one identity in the order they asked (FIFO) and cancels a waiter on abort', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, name: 'fifo', limit: 1, windowMs: 400 });
    await limiter.check('id');
    const order: number[] = [];
    const controller = new AbortController();
    const waiters = [0, 1, 2, 3].map((i) =>
      limiter.waitFor('id', { maxWaitMs: 5000, signal: i === 1 ? controller.signal : undefined }).then(
        (r) => {
          if (r.allowed) order.push(i);
          return r;
        },
        (e: unknown) => e,
      ),
    );
    controller.abort(new Error('caller gave up'));
    const settled = await Promise.all(waiters);
    expect((settled[1] as Error).message).toBe('caller gave up');
    expect(order).toEqual([0, 2, 3]);
  });

  it('a waiter queued behind a long wait leaves at once on abort or at its own maxWaitMs, and lets go of its signal', async () => {
    const connection = await testConnection();
    const slow = new GcraLimiter({ connection, name: 'slow', limit: 1, periodMs: 3000, burst: 1 });
    await slow.check('id');
    const started = performance.now();
    // The first waiter holds the identity's turn until the next slot, about 3 s away.
    const first = slow.waitFor('id', { maxWaitMs: 6000 });
    const controller = new AbortController();
    const aborted = slow.waitFor('id', { maxWaitMs: 6000, signal: controller.signal }).then(
      () => 'resolved',
      (e: unknown) => [(e as Error).message, performance.now() - started],
    );
    const kept = new AbortController();
    const impatient = slow.waitFor('id', { maxWaitMs: 200, signal: kept.signal }).then((r) => [r.allowed, performance.now() - started]);
    setTimeout(() => controller.abort(new Error('caller gave up')), 100);
    const [reason, abortedAfter] = (await aborted) as [string, number];
    expect(reason).toBe('caller gave up');
    expect(abortedAfter).toBeLessThan(1500);
    const [allowed, impatientAfter] = await impatient;
    expect(allowed).toBe(false);
    expect(impatientAfter).toBeLessThan(1500);
    // A signal that outlives the call (one per user session, say) must not collect listeners.
    expect(getEventListeners(kept.signal, 'abort')).toEqual([]);
    expect((await first).allowed).toBe(true);
  });

  it('keeps a later waiter behind an earlier one that is still waiting for a larger cost', async () => {
    const connection = await testConnection();
    // One token every 400 ms, three at most.
    const bucket = new TokenBucketLimiter({ connection, name: 'fifo-cost', capacity: 3, refillRate: 1, refillIntervalMs: 400 });
    await bucket.check('id', { cost: 3 });
    const order: string[] = [];
    const wait = (who: string, cost: number) =>
      bucket.waitFor('id', { cost, maxWaitMs: 8000 }).then((r) => {
        if (r.allowed) order.push(who);
      });
    const small = wait('small', 1);
    const large = wait('large', 3);
    await small;
    // Arrives while the large one waits for its three tokens: one token would come sooner,
    // but taking it would push the earlier waiter back again.
    const later = wait('later', 1);
    await Promise.all([large, later]);
    expect(order).toEqual(['small', 'large', 'later']);
  });

  it('sleeps until the slot Redis names: one check before the wait and one after, not a poll', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, name: 'no-poll', limit: 1, windowMs: 300 });
    await limiter.check('id');
    const { result, byCommand } = await countCommands(connection, () => limiter.waitFor('id', { maxWaitMs: 2000 }));
    expect(result).toMatchObject({ allowed: true, source: 'redis' });
    expect(byCommand.evalsha).toBeLessThanOrEqual(3);
  });

  it('resolves a denied identity at once, even when its period is shorter than the wait allowed', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 1, windowMs: 100, denyList: ['bad'] });
    const started = performance.now();
    const { result, total } = await countCommands(connection, () => limiter.waitFor('bad', { maxWaitMs: 3000 }));
    expect(result).toMatchObject({ allowed: false, source: 'deny-list', retryAfterMs: 100 });
    expect(total).toBe(0);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('answers listed identities at once, and validates before waiting or sending', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({ connection, limit: 1, windowMs: 60_000, denyList: ['bad'], allowList: ['good'] });
    expect((await limiter.waitFor('bad')).source).toBe('deny-list');
    expect((await limiter.waitFor('good')).source).toBe('allow-list');
    const aborted = AbortSignal.abort(new Error('already'));
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => limiter.waitFor('x', { maxWaitMs: -1 }), 'maxWaitMs');
      await expectInvalid(() => limiter.waitFor('x', { maxWaitMs: 1.5 }), 'maxWaitMs', /^maxWaitMs: must be an integer, got 1\.5$/);
      await expectInvalid(() => limiter.waitFor('x', { maxWaitMs: MAX_WAIT_MS + 1 }), 'maxWaitMs');
      await expectInvalid(() => limiter.waitFor('x', { cost: -1 }), 'cost');
      await expectInvalid(() => limiter.waitFor(''), 'identity');
      await expectInvalid(
        () => limiter.waitFor('x', { signal: new AbortController() as never }),
        'signal',
        /must be an AbortSignal, got object/,
      );
      await expect(limiter.waitFor('x', { signal: aborted })).rejects.toThrow('already');
    });
    expect(total).toBe(0);
    // The documented maximum is accepted.
    expect((await limiter.waitFor('x', { maxWaitMs: MAX_WAIT_MS })).allowed).toBe(true);
    expect((await limiter.waitFor('x', { maxWaitMs: 0 })).allowed).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { FixedWindowLimiter, GcraLimiter, TokenBucketLimiter } from '../../src/rate-limit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { algorithms } from './algorithms.js';

const BAD_NUMBERS = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number];

describe(`rate-limit validation on ${target} via ${driver}`, () => {
  it.each(algorithms)('$name rejects bad limits when constructed', async (algo) => {
    const connection = await testConnection();
    for (const bad of BAD_NUMBERS) {
      expect(() => algo.make(connection, [[bad, 1000]]), `limit ${bad}`).toThrow(ValidationError);
      // A bucket's refill interval may be fractional; every other period is whole milliseconds.
      if (algo.name === 'token bucket' && bad === 1.5) continue;
      expect(() => algo.make(connection, [[10, bad]]), `window ${bad}`).toThrow(ValidationError);
    }
    expect(() => algo.make(connection, [])).toThrow(ValidationError);
    expect(() => algo.make(connection, [[1, 1000]], { name: '' })).toThrow(ValidationError);
    expect(() => algo.make(connection, [[1, 1000]], { outagePolicy: 'maybe' as 'open' })).toThrow(ValidationError);
    expect(() => algo.make(connection, [[1, 1000]], { timeoutMs: -1 })).toThrow(ValidationError);
    expect(() => algo.make(connection, [[1, 1000]], { blockCache: { maxEntries: 0 } })).toThrow(ValidationError);
  });

  it.each(algorithms)('$name rejects bad calls with ValidationError and sends nothing', async (algo) => {
    const connection = await testConnection();
    const limiter = algo.make(connection, [
      [5, 1000],
      [10, 60_000],
    ]);
    const calls = [
      () => limiter.check(''),
      () => limiter.check(42 as unknown as string),
      () => limiter.check('x'.repeat(2000)),
      () => limiter.check('a', { cost: 6 }), // more than the smallest limit: could never pass
      () => limiter.peek('a', { cost: 6 }),
      ...BAD_NUMBERS.map((cost) => () => limiter.check('a', { cost })),
      ...BAD_NUMBERS.map((units) => () => limiter.penalty('a', units)),
      () => limiter.reward('a', 0),
      () => limiter.reset(''),
    ];
    const { result: errors, total } = await countCommands(connection, () =>
      Promise.all(
        calls.map((call) =>
          call().then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
      ),
    );
    for (const [i, err] of errors.entries()) expect(err, `call ${i}`).toBeInstanceOf(ValidationError);
    expect(total).toBe(0);
  });

  it('names the offending limit, and checks the options specific to each algorithm', async () => {
    const connection = await testConnection();
    expect(
      () =>
        new FixedWindowLimiter({
          connection,
          limits: [
            { limit: 1, windowMs: 1000 },
            { limit: 1, windowMs: 0 },
          ],
        }),
    ).toThrow(/limits\[1\]\.windowMs/);
    expect(() => new TokenBucketLimiter({ connection, capacity: 10, refillRate: 0 })).toThrow(ValidationError);
    expect(() => new TokenBucketLimiter({ connection, capacity: 10, refillRate: 1, refillIntervalMs: Number.NaN })).toThrow(
      ValidationError,
    );
    expect(() => new GcraLimiter({ connection, limit: 10, periodMs: 1000, burst: 0 })).toThrow(ValidationError);
    expect(() => new FixedWindowLimiter(undefined as never)).toThrow(ValidationError);
    expect(() => new FixedWindowLimiter({ connection: undefined as never, limit: 1, windowMs: 1 })).toThrow(ValidationError);
  });

  it('accepts fractional refill rates and a burst apart from the rate', async () => {
    const connection = await testConnection();
    const bucket = new TokenBucketLimiter({ connection, capacity: 3, refillRate: 0.5 });
    expect((await bucket.check('slow', { cost: 3 })).retryAfterMs).toBe(0);
    const next = await bucket.check('slow');
    expect(next.allowed).toBe(false);
    expect(next.retryAfterMs).toBeGreaterThan(1500); // half a token per second: 2 s per token
    expect(next.retryAfterMs).toBeLessThanOrEqual(2000);
    const gcra = new GcraLimiter({ connection, limit: 60, periodMs: 60_000, burst: 2 });
    expect((await gcra.check('g')).remaining).toBe(1);
    expect((await gcra.check('g')).remaining).toBe(0);
    const third = await gcra.check('g');
    expect(third.allowed).toBe(false);
    expect(third.retryAfterMs).toBeGreaterThan(900); // one per second once the burst is spent
    expect(third.retryAfterMs).toBeLessThanOrEqual(1000);
  });

  it('names the field of each bad limit option, and says so when a limit is not an object at all', async () => {
    const connection = await testConnection();
    const makers = {
      gcra: (limits: unknown[]) => new GcraLimiter({ connection, limits: limits as never }),
      bucket: (limits: unknown[]) => new TokenBucketLimiter({ connection, limits: limits as never }),
      window: (limits: unknown[]) => new FixedWindowLimiter({ connection, limits: limits as never }),
    };
    const first = { gcra: 'limits[0].limit', bucket: 'limits[0].capacity', window: 'limits[0].limit' };
    for (const [kind, make] of Object.entries(makers) as [keyof typeof makers, (l: unknown[]) => unknown][]) {
      // A number or a string would otherwise fail as a missing field, hiding the real mistake.
      for (const bad of [null, undefined, 5, 'ten']) await expectInvalid(() => make([bad]), first[kind], /object/);
    }
    await expectInvalid(() => new GcraLimiter({ connection, limit: 10, periodMs: 0 }), 'periodMs');
    await expectInvalid(() => new TokenBucketLimiter({ connection, capacity: 0, refillRate: 1 }), 'capacity');
    await expectInvalid(
      () => new TokenBucketLimiter({ connection, capacity: 10, refillRate: 1, refillIntervalMs: -5 }),
      'refillIntervalMs',
    );
    await expectInvalid(
      () => new FixedWindowLimiter({ connection, limit: 1, windowMs: 1000, allowList: 'admin' as never }),
      'allowList',
      /array or Set/,
    );
    await expectInvalid(() => new FixedWindowLimiter({ connection, limit: 1, windowMs: 1000, denyList: ['ok', ''] }), 'denyList[]');
  });
});

describe(`rate-limit option refusals on ${target} via ${driver}`, () => {
  it('names each limiter option it refuses and says what it takes', async () => {
    const connection = await testConnection();
    const window = { connection, limit: 1, windowMs: 1000 };
    await expectInvalid(() => new FixedWindowLimiter(undefined as never), 'options', /^options: are required$/);
    await expectInvalid(() => new FixedWindowLimiter('fast' as never), 'options', /^options: are required$/);
    await expectInvalid(() => new FixedWindowLimiter(null as never), 'options', /^options: are required$/);
    await expectInvalid(() => new FixedWindowLimiter({ connection, limits: [] }), 'limits', /^limits: must be a non-empty array$/);
    await expectInvalid(
      () => new FixedWindowLimiter({ connection, limits: { limit: 1, windowMs: 1000 } as never }),
      'limits',
      /^limits: must be a non-empty array$/,
    );
    await expectInvalid(() => new FixedWindowLimiter({ ...window, name: '' }), 'name');
    await expectInvalid(
      () => new FixedWindowLimiter({ ...window, outagePolicy: 'maybe' as 'open' }),
      'outagePolicy',
      /^outagePolicy: must be 'open', 'closed', 'throw' or \{ insurance: \{ share \} \}, got maybe$/,
    );
    await expectInvalid(
      () => new FixedWindowLimiter({ ...window, outOfMemoryPolicy: 'insurance' as 'open' }),
      'outOfMemoryPolicy',
      /^outOfMemoryPolicy: must be 'open', 'closed' or 'throw', got insurance$/,
    );
    await expectInvalid(() => new FixedWindowLimiter({ ...window, timeoutMs: -1 }), 'timeoutMs');
    await expectInvalid(() => new FixedWindowLimiter({ ...window, blockCache: { maxEntries: 0 } }), 'blockCache.maxEntries');
    await expectInvalid(() => new FixedWindowLimiter({ ...window, blockCache: { maxEntries: 1.5 } }), 'blockCache.maxEntries');
  });

  it('accepts each documented policy', async () => {
    const connection = await testConnection();
    for (const policy of ['open', 'closed', 'throw'] as const) {
      expect(() => new FixedWindowLimiter({ connection, limit: 1, windowMs: 1000, outagePolicy: policy })).not.toThrow();
      expect(() => new FixedWindowLimiter({ connection, limit: 1, windowMs: 1000, outOfMemoryPolicy: policy })).not.toThrow();
    }
  });

  it('names the cost it refuses, with the smallest limit it must fit', async () => {
    const connection = await testConnection();
    const limiter = new FixedWindowLimiter({
      connection,
      limits: [
        { limit: 7, windowMs: 1000 },
        { limit: 4, windowMs: 60_000 },
      ],
    });
    await expectInvalid(() => limiter.check('a', { cost: 5 }), 'cost', /^cost: must be at most 4 \(the smallest limit\), got 5$/);
    await expectInvalid(() => limiter.check('a', { cost: 0 }), 'cost', /integer > 0/);
    await expectInvalid(() => limiter.penalty('a', 0), 'units', /integer > 0/);
    await expectInvalid(() => limiter.reward('a', 1.5), 'units', /integer > 0/);
    // Every call names a bad identity, not only check.
    await expectInvalid(() => limiter.peek(''), 'identity');
    await expectInvalid(() => limiter.penalty('', 1), 'identity');
    await expectInvalid(() => limiter.reset(''), 'identity');
    expect((await limiter.check('a', { cost: 4 })).remaining).toBe(0);
  });
});

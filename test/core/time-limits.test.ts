import { describe, expect, it } from 'vitest';
import { settlesWithin, within } from '../../src/core/time-limit.js';
import { CommandTimeoutError, RedisCommandError, RedisUnavailableError } from '../../src/index.js';
import { callWithin, sleep, timeLimit } from '../../src/kit/index.js';

const never = () => new Promise<never>(() => {});
const outcome = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('within: a Redis reply under a time limit', () => {
  it('resolves the reply, types an error reply, and times out with CommandTimeoutError', async () => {
    expect(await within(Promise.resolve('OK'), 100, 'GET')).toBe('OK');
    const failed = await outcome(within(Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')), 100, 'GET'));
    expect((failed as { error: unknown }).error).toBeInstanceOf(RedisUnavailableError);
    const started = performance.now();
    const late = (await outcome(within(never(), 30, 'GET k'))) as { error: CommandTimeoutError };
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    expect(late.error).toBeInstanceOf(CommandTimeoutError);
    expect(late.error.message).toBe('Redis did not answer GET k within 30 ms');
    expect(late.error.timeoutMs).toBe(30);
  });

  it('with no limit (0) still types an error reply', async () => {
    expect(await within(Promise.resolve(1), 0, 'GET')).toBe(1);
    expect(
      await within(
        sleep(30).then(() => 'late reply'),
        0,
        'GET',
      ),
    ).toBe('late reply');
    const failed = (await outcome(within(Promise.reject(new Error('ERR nope')), 0, 'GET'))) as { error: Error };
    expect(failed.error).toBeInstanceOf(RedisCommandError);
    expect(failed.error.message).toBe('ERR nope');
  });
});

describe('timeLimit: any promise under a time limit', () => {
  it('settles like the promise in time, errors as they are, and with onTimeout() when late', async () => {
    expect(await timeLimit(Promise.resolve(7), 100, () => new Error('late'))).toBe(7);
    const own = new Error('mine');
    expect(await outcome(timeLimit(Promise.reject(own), 100, () => new Error('late')))).toEqual({ error: own });
    const late = new Error('late');
    expect(await outcome(timeLimit(never(), 20, () => late))).toEqual({ error: late });
    expect(await outcome(timeLimit(Promise.reject(own), 0, () => late))).toEqual({ error: own });
    expect(
      await timeLimit(
        sleep(30).then(() => 'slow'),
        0,
        () => late,
      ),
    ).toBe('slow');
  });

  it('settlesWithin says whether a promise resolved in time', async () => {
    expect(await settlesWithin(Promise.resolve(), 50)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('x')), 50)).toBe(false);
    expect(await settlesWithin(never(), 20)).toBe(false);
  });
});

describe('callWithin: a user function under a time limit', () => {
  it('gives a signal only to a function that declares a parameter, aborted with the timeout error', async () => {
    const late = new Error('too slow');
    let seen: AbortSignal | undefined;
    const result = await outcome(
      callWithin(
        (signal) => {
          seen = signal;
          return never();
        },
        20,
        () => late,
      ),
    );
    expect(result).toEqual({ error: late });
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(late);
    let args: unknown[] | undefined;
    // A rest parameter does not count as a declared one.
    const plain = (...rest: unknown[]) => {
      args = rest;
      return 'done';
    };
    expect(await callWithin(plain, 50, () => late)).toBe('done');
    expect(args).toEqual([]);
  });

  it('times out a function without parameters (no signal to abort) with the timeout error', async () => {
    const late = new Error('too slow');
    const started = performance.now();
    expect(
      await outcome(
        callWithin(
          () => never(),
          20,
          () => late,
        ),
      ),
    ).toEqual({ error: late });
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
  });

  it('turns a synchronous throw into a rejection and runs without a limit at 0', async () => {
    const boom = new Error('boom');
    expect(
      await outcome(
        callWithin(
          () => {
            throw boom;
          },
          50,
          () => new Error('late'),
        ),
      ),
    ).toEqual({ error: boom });
    expect(
      await outcome(
        callWithin(
          () => {
            throw boom;
          },
          0,
          () => new Error('late'),
        ),
      ),
    ).toEqual({ error: boom });
    expect(
      await callWithin(
        () => sleep(30).then(() => 'slow'),
        0,
        () => new Error('late'),
      ),
    ).toBe('slow');
    expect(
      await callWithin(
        () => 3,
        50,
        () => new Error('late'),
      ),
    ).toBe(3);
  });
});

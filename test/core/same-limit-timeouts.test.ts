// Time limits of the same length share one queue of the deadline timer: each of them still
// times out, not only the one added last.
import { describe, expect, it } from 'vitest';
import { timeLimit } from '../../src/kit/index.js';

const never = () => new Promise<never>(() => {});
const outcome = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('time limits of the same length', () => {
  it('each times out with its own error, the first ones added too', async () => {
    const errors = [new Error('first'), new Error('second'), new Error('third')];
    const limited = errors.map((error) => outcome(timeLimit(never(), 40, () => error)));
    // Long after 40 ms: a limit that never fires shows up as the fallback value.
    const settled = await Promise.all(limited.map((p) => Promise.race([p, new Promise((r) => setTimeout(r, 1000, 'no timeout'))])));
    expect(settled).toEqual(errors.map((error) => ({ error })));
  });
});

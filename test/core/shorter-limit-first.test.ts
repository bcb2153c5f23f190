// A longer time limit added after a shorter one does not push the shorter one's timeout back:
// the one timer behind them stays set for the earliest deadline.
import { describe, expect, it } from 'vitest';
import { timeLimit } from '../../src/kit/index.js';

const never = () => new Promise<never>(() => {});

describe('a shorter time limit followed by a longer one', () => {
  it('still times out near its own deadline, not the longer one', async () => {
    const started = performance.now();
    const short = timeLimit(never(), 30, () => new Error('short')).catch((e: Error) => ({
      message: e.message,
      after: performance.now() - started,
    }));
    const long = timeLimit(never(), 5000, () => new Error('long'));
    long.catch(() => {});
    const { message, after } = (await short) as { message: string; after: number };
    expect(message).toBe('short');
    expect(after).toBeGreaterThanOrEqual(29);
    expect(after).toBeLessThan(2000);
  });
});

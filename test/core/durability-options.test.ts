import { describe, expect, it } from 'vitest';
import { durabilityError, durableCalls } from '../../src/core/durability.js';
import { MAX_REPLICAS, MAX_WAIT_MS, ValidationError } from '../../src/index.js';

describe('durability options, as modules validate them', () => {
  it('accept 1..100 replicas and a wait of 1..60,000 ms, as call options', () => {
    expect(MAX_REPLICAS).toBe(100);
    expect(MAX_WAIT_MS).toBe(60_000);
    for (const durability of [
      { replicas: 1, waitMs: 1 },
      { replicas: 100, waitMs: 60_000 },
    ]) {
      expect(durabilityError(durability)).toBeUndefined();
      expect(durableCalls(durability)).toEqual({ durability });
    }
    expect(durableCalls(undefined)).toBeUndefined();
  });

  it('name the field and the rule of what they refuse', () => {
    const refused = (durability: unknown) => {
      const error = durabilityError(durability as never);
      expect(error).toBeInstanceOf(ValidationError);
      expect(() => durableCalls(durability as never)).toThrow(error as ValidationError);
      return `${(error as ValidationError).field} | ${(error as ValidationError).message}`;
    };
    expect(refused(null)).toBe('durability | durability: must be { replicas, waitMs }');
    expect(refused(3)).toBe('durability | durability: must be { replicas, waitMs }');
    expect(refused({ replicas: 0, waitMs: 10 })).toBe('durability.replicas | durability.replicas: must be an integer > 0, got 0');
    expect(refused({ replicas: 101, waitMs: 10 })).toBe('durability.replicas | durability.replicas: must be a number in [1, 100], got 101');
    expect(refused({ replicas: 1, waitMs: 2.5 })).toBe('durability.waitMs | durability.waitMs: must be an integer > 0, got 2.5');
    expect(refused({ replicas: 1, waitMs: 60_001 })).toBe(
      'durability.waitMs | durability.waitMs: must be a number in [1, 60000], got 60001',
    );
  });
});

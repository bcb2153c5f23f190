// Bad input must fail with a ValidationError naming the field before a single command reaches Redis.
import { expect } from 'vitest';
import type { RedisConnection } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { expectInvalid } from '../harness/validation.js';

/** Each call fails with a ValidationError for its `field` (see `expectInvalid`), and sends nothing. */
export async function expectRejectedBeforeSending(
  connection: RedisConnection,
  calls: [field: string, call: () => Promise<unknown>][],
): Promise<void> {
  for (const [field, call] of calls) {
    const { total } = await countCommands(connection, () => expectInvalid(call, field));
    expect(total, call.toString()).toBe(0);
  }
}

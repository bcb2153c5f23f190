// Bad input must fail with ValidationError before a single command reaches Redis.
import { expect } from 'vitest';
import type { RedisConnection } from '../../src/index.js';
import { ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';

export async function expectRejectedBeforeSending(connection: RedisConnection, calls: (() => Promise<unknown>)[]): Promise<void> {
  for (const call of calls) {
    const { result, total } = await countCommands(connection, () =>
      call().then(
        () => 'resolved',
        (e) => e,
      ),
    );
    expect(result, call.toString()).toBeInstanceOf(ValidationError);
    expect(total, call.toString()).toBe(0);
  }
}

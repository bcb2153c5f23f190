import { expect } from 'vitest';
import { ValidationError } from '../../src/index.js';

/**
 * `call` throws, or rejects with, a ValidationError that names `field` and says what is
 * wrong with it (`detail`, when given, must appear in the message).
 */
export async function expectInvalid(call: () => unknown, field: string, detail?: RegExp): Promise<void> {
  const error = await (async () => call())().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, field).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).field).toBe(field);
  expect((error as ValidationError).message).toMatch(new RegExp(`^${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\S`));
  if (detail) expect((error as ValidationError).message).toMatch(detail);
}

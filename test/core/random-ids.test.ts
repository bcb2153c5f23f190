import { describe, expect, it } from 'vitest';
import { randomId } from '../../src/kit/index.js';

describe('randomId', () => {
  it('is 16 random bytes in URL-safe base64 by default, or as many bytes as asked for', () => {
    const ids = Array.from({ length: 100 }, () => randomId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(100);
    expect(randomId(3)).toMatch(/^[A-Za-z0-9_-]{4}$/);
    expect(Buffer.from(randomId(32), 'base64url')).toHaveLength(32);
  });
});

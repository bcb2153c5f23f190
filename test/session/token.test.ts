// parseToken is public and takes `unknown` (a cookie, a header, a parsed body): only a string
// of the issued shape is a token.
import { describe, expect, it } from 'vitest';
import { parseToken } from '../../src/session/index.js';
import { newToken, randomTag } from '../../src/session/token.js';

describe('parseToken', () => {
  it('refuses a non-string whose string form is a valid token', () => {
    const token = newToken(randomTag());
    expect(parseToken(token)).not.toBeNull();
    expect(parseToken([token])).toBeNull();
    expect(parseToken(new String(token))).toBeNull();
    expect(parseToken({ toString: () => token })).toBeNull();
  });
});

// A Buffer given to send() or pipeline() reaches Redis byte for byte, bytes that are no UTF-8
// text included; only numbers become their decimal text.
import { describe, expect, it } from 'vitest';
import { driver, target, testConnection } from '../harness/redis.js';

const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0x00, 0x80]);

describe(`binary arguments on ${target} via ${driver}`, () => {
  it('a Buffer argument is stored as its bytes, a number as its digits', async () => {
    const connection = await testConnection();
    const key = connection.keys('binary').key('{b}', 'value');
    const copy = connection.keys('binary').key('{b}', 'copy');
    expect(await connection.send(['SET', key, NOT_UTF8], key)).toBe('OK');
    expect(await connection.send(['STRLEN', key], key)).toBe(NOT_UTF8.length);
    expect(
      await connection.pipeline(
        [
          ['SET', copy, NOT_UTF8],
          ['STRLEN', copy],
          ['SET', key, 12.5],
          ['GET', key],
        ],
        { routeKey: key },
      ),
    ).toEqual(['OK', NOT_UTF8.length, 'OK', '12.5']);
    expect(
      await connection.pipeline(
        [
          ['SET', copy, NOT_UTF8],
          ['STRLEN', copy],
        ],
        { atomic: true, routeKey: key },
      ),
    ).toEqual(['OK', NOT_UTF8.length]);
  });
});

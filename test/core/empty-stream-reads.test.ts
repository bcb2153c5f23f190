// A stream read with nothing new answers nil: the adapter, which reshapes stream reads for
// RESP3, passes it on as null, from a single command and from a pipeline.
import { describe, expect, it } from 'vitest';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`stream reads with nothing to return on ${target} via ${driver}`, () => {
  it('XREAD and XREADGROUP answer null', async () => {
    const connection = await testConnection();
    const stream = connection.keys('test').key('empty', 'stream');
    expect(await connection.send(['XREAD', 'COUNT', 10, 'STREAMS', stream, '0'], stream)).toBeNull();
    await connection.send(['XGROUP', 'CREATE', stream, 'g', '$', 'MKSTREAM'], stream);
    const read = ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 10, 'STREAMS', stream, '>'];
    expect(await connection.send(read, stream)).toBeNull();
    expect(await connection.pipeline([read, ['XLEN', stream]], { routeKey: stream })).toEqual([null, 0]);
  });
});

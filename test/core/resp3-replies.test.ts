// ioredis 6 speaks RESP3 by default: the adapter gives every module the RESP2 reply shapes
// it reads, whichever protocol the client negotiated. Compared side by side with a RESP2
// client on the same server (ioredis 6 with protocol 2).
import { Cluster, Redis } from 'ioredis6';
import { describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/index.js';
import { closeAfterAll, driver, target, topology, uniquePrefix } from '../harness/redis.js';

function client(protocol: 2 | 3): Redis | Cluster {
  const topo = topology();
  const c =
    target === 'cluster'
      ? new Cluster(
          topo.clusterNodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })),
          { redisOptions: { protocol } },
        )
      : new Redis(topo.standaloneUrl, { protocol });
  closeAfterAll({ close: () => c.quit() });
  return c;
}

describe.skipIf(driver !== 'ioredis')(`RESP3 replies of ioredis 6 on ${target}`, () => {
  it('stream reads, member-score replies and batches have the RESP2 shapes', async () => {
    const prefix = uniquePrefix();
    const [resp3, resp2] = [RedisConnection.from(client(3), { prefix }), RedisConnection.from(client(2), { prefix })];
    const ks = resp3.keys('resp3');
    const [stream, zset] = [ks.key('t', 'stream'), ks.key('t', 'zset')];
    await resp3.send(['XADD', stream, '1-1', 'f', 'v'], stream);
    await resp3.send(['ZADD', zset, '1.5', 'a', 2, 'b', 3, 'c'], zset);
    for (const group of ['g3', 'g2']) await resp3.send(['XGROUP', 'CREATE', stream, group, '0'], stream);
    const read = (c: RedisConnection, group: string) =>
      c.send(['XREADGROUP', 'GROUP', group, 'c', 'COUNT', 10, 'STREAMS', stream, '>'], stream);
    const expected = [[stream, [['1-1', ['f', 'v']]]]];
    expect(await read(resp3, 'g3')).toEqual(expected);
    expect(await read(resp2, 'g2')).toEqual(expected);
    expect(await resp3.send(['XREAD', 'COUNT', 10, 'STREAMS', stream, '0'], stream)).toEqual(expected);
    for (const c of [resp3, resp2]) {
      expect(await c.send(['ZRANGE', zset, 0, -1, 'WITHSCORES'], zset)).toEqual(['a', '1.5', 'b', '2', 'c', '3']);
      expect(await c.send(['zrevrange', zset, 0, 0, 'withscores'], zset)).toEqual(['c', '3']);
      expect(await c.send(['ZRANGE', zset, 0, -1], zset)).toEqual(['a', 'b', 'c']);
      expect(
        await c.pipeline(
          [
            ['ZRANGEBYSCORE', zset, '-inf', '+inf', 'WITHSCORES'],
            ['HGETALL', `${zset}:none`],
          ],
          { routeKey: zset },
        ),
      ).toEqual([['a', '1.5', 'b', '2', 'c', '3'], []]);
    }
    expect(await resp3.send(['ZPOPMIN', zset, 2], zset)).toEqual(['a', '1.5', 'b', '2']);
    expect(await resp3.send(['ZPOPMAX', zset, 1], zset)).toEqual(['c', '3']);
    await resp3.send(['ZADD', zset, 4, 'd'], zset);
    expect(await resp2.send(['ZPOPMAX', zset, 1], zset)).toEqual(['d', '4']);
    expect(await resp3.send(['ZPOPMIN', zset, 1], zset)).toEqual([]);
    const hash = ks.key('t', 'hash');
    await resp3.send(['HSET', hash, 'f', 'v'], hash);
    for (const c of [resp3, resp2]) expect(await c.send(['HRANDFIELD', hash, 1, 'WITHVALUES'], hash)).toEqual(['f', 'v']);
  });
});

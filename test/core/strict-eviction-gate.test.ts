// Strict eviction checks hold a durable module's commands until the first check ends: what
// was sent meanwhile must then run as asked (same script, same pipeline options), and a
// pipeline's keys are found without a routeKey.
import { describe, expect, it } from 'vitest';
import { EvictionPolicyError, RedisConnection, ReplicationError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { fullServers } from '../harness/full-server.js';
import { driver, rawClient, target, testConnection } from '../harness/redis.js';

const echo = defineScript<[arg: string]>('test/gate-echo', 'return {KEYS[1], ARGV[1]}', { keys: 1 });

describe(`strict eviction gate on ${target} via ${driver}`, () => {
  const startFull = fullServers();

  it("a durable module's script, pipeline and command sent before the first check ends run once it passes", async () => {
    const connection = await testConnection({ evictionCheck: 'strict' });
    const ks = connection.keys('gated', { durable: true });
    const key = ks.key('slot', 'a');
    // In the same tick as keys(): the check has not answered yet.
    const [ran, piped, sent] = await Promise.all([
      connection.run(echo, [key], ['x']),
      connection.pipeline([
        ['SET', key, 'v'],
        ['GET', key],
      ]),
      connection.send(['ECHO', 'sent'], key),
    ]);
    expect(ran).toEqual([key, 'x']);
    expect(piped).toEqual(['OK', 'v']);
    expect(sent).toBe('sent');
  });

  it("a durable module's pipeline held by the check keeps its options: a WAIT no replica can satisfy still rejects", async () => {
    const connection = await testConnection({ evictionCheck: 'strict' });
    const key = connection.keys('gated-wait', { durable: true }).key('slot', 'a');
    const error = await connection
      .pipeline([['SET', key, 'v']], { atomic: true, durability: { replicas: 100, waitMs: 50 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicationError);
  });

  it("a durable module's pipeline held by the check still goes to its routeKey's node when its first command has no key", async () => {
    const connection = await testConnection({ evictionCheck: 'strict' });
    const key = connection.keys('gated-route', { durable: true }).key('slot', 'a');
    const replies = await connection.pipeline(
      [
        ['ECHO', 'first'],
        ['SET', key, 'v'],
        ['GET', key],
      ],
      { routeKey: key },
    );
    expect(replies).toEqual(['first', 'OK', 'v']);
  });

  it('an empty pipeline on a strict connection with a durable module resolves no replies', async () => {
    const connection = await testConnection({ evictionCheck: 'strict' });
    connection.keys('gated-empty', { durable: true });
    expect(await connection.pipeline([])).toEqual([]);
  });

  it.runIf(target === 'standalone')(
    'strict on a server that may evict: a pipeline without routeKey is refused by its first key',
    async () => {
      const full = await startFull('allkeys-lru');
      const strict = RedisConnection.from(await rawClient({ url: full.server.url }), { prefix: 'p', evictionCheck: 'strict' });
      const key = strict.keys('ledger', { durable: true }).key('a');
      const error = await strict.pipeline([['SET', key, '1']]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EvictionPolicyError);
      expect((error as EvictionPolicyError).report.modulesAtRisk).toEqual(['ledger']);
      expect(await full.connection.send(['EXISTS', key])).toBe(0);
    },
  );
});

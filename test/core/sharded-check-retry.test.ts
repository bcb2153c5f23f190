// On a cluster the connection asks once (COMMAND INFO) whether pub/sub is sharded. A check that
// fails (here: every primary paused past the timeout) is not kept: the next call, and the next
// subscriber(), ask again and succeed once Redis answers.
import { describe, expect, it } from 'vitest';
import { redisCli } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection } from '../../src/index.js';
import { driver, rawClient, target, topology } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';

describe.runIf(target === 'cluster')(`a failed sharded pub/sub check on ${target} via ${driver}`, () => {
  it('times out naming COMMAND INFO, and is made again by the next call and the next subscriber()', async () => {
    const connection = RedisConnection.from(await rawClient(), { commandTimeoutMs: 300 });
    try {
      await Promise.all((await connection.client.primaries()).map((node) => node.send(['PING'])));
      // Paused for 2 s, long past the three checks below (300 ms, 50 ms, then at most 300 ms).
      const ports = topology().clusterNodes.map((n) => Number(n.split(':').pop()));
      await Promise.all(ports.map((port) => redisCli(port, 'CLIENT', 'PAUSE', '2000', 'ALL')));
      const first = await connection.shardedPubSub().catch((e: unknown) => e);
      expect(first).toBeInstanceOf(CommandTimeoutError);
      expect((first as CommandTimeoutError).message).toBe('Redis did not answer COMMAND INFO within 300 ms');
      // A shorter wait of one call bounds that call only.
      const short = await connection.shardedPubSub({ timeoutMs: 50 }).catch((e: unknown) => e);
      expect((short as CommandTimeoutError).message).toBe('Redis did not answer COMMAND INFO within 50 ms');
      expect(await connection.subscriber().catch((e: unknown) => e)).toBeInstanceOf(CommandTimeoutError);
      // Once the pause ends, a new check answers.
      await waitFor(async () => (await connection.shardedPubSub().catch(() => undefined)) === true, 10_000, 'a sharded check');
      const sub = await connection.subscriber();
      expect(sub.sharded).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it('close() waiting for a subscriber() whose check fails still resolves', async () => {
    const connection = RedisConnection.from(await rawClient(), { commandTimeoutMs: 300 });
    await Promise.all((await connection.client.primaries()).map((node) => node.send(['PING'])));
    const ports = topology().clusterNodes.map((n) => Number(n.split(':').pop()));
    await Promise.all(ports.map((port) => redisCli(port, 'CLIENT', 'PAUSE', '1000', 'ALL')));
    const opening = connection.subscriber().catch((e: unknown) => e);
    await connection.close();
    expect(await opening).toBeInstanceOf(CommandTimeoutError);
    // Let the pause end before the next test file.
    await waitFor(async () => (await connection.client.send(['PING']).catch(() => '')) === 'PONG', 10_000, 'the end of the pause');
  });
});

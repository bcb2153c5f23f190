import { createSentinel } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SentinelTopology, startSentinels } from '../../scripts/lib/redis-sentinel.js';
import { RedisConnection } from '../../src/index.js';
import { sleep } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, uniquePrefix } from '../harness/redis.js';
import { sentinelUserClient } from '../harness/sentinel-client.js';
import { waitFor } from '../harness/wait-for.js';

describe.skipIf(target === 'cluster')(`a Sentinel client via ${driver}`, () => {
  let topo: SentinelTopology;
  let user: { client: object; close(): Promise<void> };
  beforeAll(async () => {
    topo = await startSentinels();
    user = await sentinelUserClient(topo);
  }, 60_000);
  afterAll(async () => {
    await user?.close();
    await topo?.stop();
  });

  it('a plain pipeline sends no MULTI; an atomic one runs in MULTI/EXEC', async () => {
    const connection = RedisConnection.from(user.client, { prefix: uniquePrefix() });
    const key = connection.keys('sentinel-client').key('n');
    expect(connection.client.isCluster).toBe(false);
    const commands = [
      ['INCR', key],
      ['INCR', key],
    ];
    const plain = await countCommands(connection, () => connection.pipeline(commands, { routeKey: key }));
    expect(plain.result).toEqual([1, 2]);
    expect(plain.byCommand).toEqual({ incr: 2 });
    const atomic = await countCommands(connection, () => connection.pipeline(commands, { atomic: true, routeKey: key }));
    expect(atomic.result).toEqual([3, 4]);
    expect(atomic.byCommand).toEqual({ multi: 1, incr: 2, exec: 1 });
  });

  it("a copy of the client shares the user's sentinel: closing it refuses its own commands only", async () => {
    const connection = RedisConnection.from(user.client, { prefix: uniquePrefix() });
    const key = connection.keys('sentinel-client').key('copied');
    const copy = await connection.client.duplicate();
    expect(await copy.send(['SET', key, 'a'], key)).toBe('OK');
    const copyOfCopy = await copy.duplicate();
    expect(await copyOfCopy.send(['GET', key], key)).toBe('a');
    await copy.close();
    await expect(copy.send(['GET', key], key)).rejects.toThrow(/^(The client is closed|Connection is closed\.)$/);
    expect(await copyOfCopy.send(['GET', key], key)).toBe('a');
    expect(await connection.send(['GET', key], key)).toBe('a');
    await copyOfCopy.close();
    expect(await connection.send(['GET', key], key)).toBe('a');
  });

  it("on the sentinel's pub/sub connection a subscriber unsubscribes and closes its own channels only", async () => {
    const first = RedisConnection.from(user.client, { prefix: uniquePrefix() });
    const second = RedisConnection.from(user.client, { prefix: uniquePrefix() });
    const channel = `${first.prefix}:news`;
    const other = `${first.prefix}:other`;
    const received: { first: string[]; second: string[] } = { first: [], second: [] };
    const subscribers = { first: await first.subscriber(), second: await second.subscriber() };
    // A sentinel serves one primary: its channels are never sharded.
    expect(subscribers.first.sharded).toBe(false);
    await subscribers.first.subscribe(channel, (m) => received.first.push(m));
    await subscribers.first.subscribe(other, (m) => received.first.push(m));
    await subscribers.second.subscribe(channel, (m) => received.second.push(m));
    const admin = RedisConnection.from(user.client);
    const numsub = async (c: string) => ((await admin.send(['PUBSUB', 'NUMSUB', c])) as [string, number])[1];
    // node-redis subscribes every user of a sentinel on its one pub/sub connection; ioredis
    // opens one per subscriber.
    expect(await numsub(channel)).toBe(driver === 'node-redis' ? 1 : 2);
    expect(await numsub(other)).toBe(1);
    // Unsubscribing a channel no one else listens to leaves it.
    const solo = `${first.prefix}:solo`;
    await subscribers.first.subscribe(solo, (m) => received.first.push(m));
    expect(await numsub(solo)).toBe(1);
    await subscribers.first.unsubscribe(solo);
    expect(await numsub(solo)).toBe(0);

    await first.close();
    // The first subscriber's channel of its own is unsubscribed; the shared one still delivers to the second.
    await waitFor(async () => (await numsub(other)) === 0, 5000, `no subscriber of ${other}`);
    for (let i = 0; !received.second.includes('after'); i++) {
      if (i === 50) throw new Error('the second subscriber received nothing');
      await second.publish(channel, 'after');
      await sleep(100);
    }
    expect(received.first).toEqual([]);

    await second.close();
    expect(await numsub(channel)).toBe(0);
  });

  it('a connection that opened its own sentinel closes every connection of it', async () => {
    const admin = RedisConnection.from(user.client);
    const connected = async () => Number(/^connected_clients:(\d+)/m.exec(String(await admin.send(['INFO', 'clients'])))?.[1]);
    const before = await connected();
    const connection = await RedisConnection.connect(
      { sentinels: topo.sentinelAddresses, name: topo.name, driver },
      { prefix: uniquePrefix() },
    );
    expect(await connection.send(['PING'])).toBe('PONG');
    expect(await connected()).toBeGreaterThan(before);
    await connection.close();
    await waitFor(async () => (await connected()) === before, 5000, 'the connections closed');
  });

  // Last: it freezes the replica for the rest of the file.
  it.runIf(driver === 'node-redis')(
    'a sentinel that reads from replicas still sends every command, pipeline and MULTI to the primary',
    async () => {
      const reading = createSentinel({ name: topo.name, sentinelRootNodes: topo.sentinelAddresses, replicaPoolSize: 1 });
      reading.on('error', () => {});
      await reading.connect();
      try {
        const connection = RedisConnection.from(reading, { prefix: uniquePrefix(), commandTimeoutMs: 1000 });
        const key = connection.keys('sentinel-client').key('read');
        await topo.cutReplication();
        for (let i = 1; i <= 2; i++) {
          expect(await connection.send(['INCR', key], key)).toBe(3 * i - 2);
          expect(await connection.send(['GET', key], key)).toBe(String(3 * i - 2));
          expect(await connection.pipeline([['INCR', key]], { routeKey: key })).toEqual([3 * i - 1]);
          expect(await connection.pipeline([['INCR', key]], { atomic: true, routeKey: key })).toEqual([3 * i]);
        }
      } finally {
        reading.destroy();
      }
    },
  );
});

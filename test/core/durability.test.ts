// Durable writes: a command (or a coalesced batch of script calls, or a pipeline) and a WAIT
// for replicas in one round trip, on a private primary with one replica. A frozen replica
// (SIGSTOP) confirms nothing, so the write is refused with ReplicationError after `waitMs`
// while it did run on the primary. Bad durability options are refused before anything is sent.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startCluster } from '../../scripts/lib/redis-cluster.js';
import { binaries, type ReplicatedPair, redisCli, startReplicated } from '../../scripts/lib/redis-servers.js';
import { RedisCommandError, RedisConnection, RedisUnavailableError, ReplicationError, ValidationError } from '../../src/index.js';
import { defineScript, sleep } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection, uniquePrefix } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';

const add = defineScript<readonly (string | number)[], number>(
  'test/durable-add',
  `local function call(k, a, res)
  res[#res + 1] = redis.call('INCRBY', KEYS[k + 1], ARGV[a + 1])
end`,
  { keys: 1, coalesce: { replyLength: 1 }, parseReply: (reply) => Number(reply) },
);
const once = { replicas: 1, waitMs: 2000 };

async function onReplica(pair: ReplicatedPair, key: string): Promise<string> {
  return (await redisCli(pair.replica.port, 'GET', key)).trim();
}

/** GET on a cluster replica: in one connection with READONLY, or the replica redirects it. */
function onClusterReplica(port: number, key: string): string {
  const out = spawnSync(binaries().cli, ['-h', '127.0.0.1', '-p', String(port)], { input: `READONLY\nGET ${key}\n`, encoding: 'utf8' });
  return out.stdout.trim().split('\n').pop() ?? '';
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

// Private servers, the same on every project: run once per driver.
describe.skipIf(target === 'cluster')(`durable writes via ${driver}`, () => {
  let pair: ReplicatedPair;
  let subject: { connection: RedisConnection; close: () => void };
  beforeAll(async () => {
    pair = await startReplicated();
    subject = await privateConnection(pair.primary, { commandTimeoutMs: 5000 });
  });
  afterAll(async () => {
    subject?.close();
    await pair?.stop();
  });

  it('a confirmed write is on the replica when it resolves: scripts, commands, pipelines and MULTI', async () => {
    const { connection } = subject;
    expect(await connection.run(add, ['d:script'], [5], { durability: once })).toBe(5);
    expect(await onReplica(pair, 'd:script')).toBe('5');
    expect(await connection.send(['SET', 'd:send', 'v'], 'd:send', { durability: once })).toBe('OK');
    expect(await onReplica(pair, 'd:send')).toBe('v');
    const plain = await connection.pipeline(
      [
        ['SET', 'd:p', 'a'],
        ['APPEND', 'd:p', 'b'],
      ],
      { durability: once },
    );
    // The WAIT's own reply is not among the results.
    expect(plain).toEqual(['OK', 2]);
    expect(await onReplica(pair, 'd:p')).toBe('ab');
    const atomic = await connection.pipeline(
      [
        ['SET', 'd:m', 'x'],
        ['APPEND', 'd:m', 'y'],
      ],
      { atomic: true, durability: once },
    );
    expect(atomic).toEqual(['OK', 2]);
    expect(await onReplica(pair, 'd:m')).toBe('xy');
  });

  it('a burst of durable script calls is one EVALSHA and one WAIT per batch of 16', async () => {
    const { connection } = subject;
    await connection.run(add, ['d:burst'], [0], { durability: once });
    const counted = await countCommands(connection, () =>
      Promise.all(Array.from({ length: 16 }, () => connection.run(add, ['d:burst'], [1], { durability: once }))),
    );
    expect(counted.result.sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(counted.byCommand.evalsha).toBe(1);
    expect(counted.byCommand.wait).toBe(1);
    expect(await onReplica(pair, 'd:burst')).toBe('16');
  });

  it('an atomic durable pipeline is MULTI, its commands, EXEC and one WAIT: nothing else', async () => {
    const { connection } = subject;
    const counted = await countCommands(connection, () =>
      connection.pipeline([['SET', 'd:atomic-count', 'v']], { atomic: true, durability: once }),
    );
    expect(counted.result).toEqual(['OK']);
    // (The replica's REPLCONF acknowledgements count on the primary too: left out.)
    const { replconf: _, ...commands } = counted.byCommand;
    expect(commands).toEqual({ multi: 1, set: 1, exec: 1, wait: 1 });
  });

  it('calls with and without durability, or with different ones, are not coalesced together', async () => {
    const { connection } = subject;
    const counted = await countCommands(connection, () =>
      Promise.all([
        connection.run(add, ['d:mixed'], [1]),
        connection.run(add, ['d:mixed'], [1], { durability: once }),
        connection.run(add, ['d:mixed'], [1], { durability: { replicas: 1, waitMs: 1500 } }),
      ]),
    );
    expect(counted.byCommand.evalsha).toBe(3);
    expect(counted.byCommand.wait).toBe(2);
  });

  it('a frozen replica confirms nothing: ReplicationError after waitMs, the write done on the primary only', async () => {
    const { connection } = subject;
    pair.replica.pause();
    try {
      const started = Date.now();
      const error = await rejection(connection.run(add, ['d:frozen'], [7], { durability: { replicas: 1, waitMs: 300 } }));
      const took = Date.now() - started;
      expect(error).toBeInstanceOf(ReplicationError);
      expect(error).toMatchObject({ code: 'REPLICATION', acknowledged: 0, required: 1 });
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(300 + 2000);
      const sendError = await rejection(
        connection.send(['SET', 'd:frozen-send', 'v'], 'd:frozen-send', { durability: { replicas: 1, waitMs: 200 } }),
      );
      expect(sendError).toBeInstanceOf(ReplicationError);
      const pipelineError = await rejection(
        connection.pipeline([['SET', 'd:frozen-multi', 'v']], { atomic: true, durability: { replicas: 1, waitMs: 200 } }),
      );
      expect(pipelineError).toBeInstanceOf(ReplicationError);
      expect(await connection.send(['GET', 'd:frozen'], 'd:frozen')).toBe('7');
    } finally {
      pair.replica.resume();
    }
    // Once the replica is back, it catches up and confirms again.
    expect(await connection.run(add, ['d:frozen'], [1], { durability: once })).toBe(8);
    expect(await onReplica(pair, 'd:frozen')).toBe('8');
  });

  it('asking for more replicas than there are is refused after waitMs', async () => {
    const error = await rejection(subject.connection.run(add, ['d:two'], [1], { durability: { replicas: 2, waitMs: 100 } }));
    expect(error).toMatchObject({ code: 'REPLICATION', acknowledged: 1, required: 2 });
  });

  it('a primary that dies while its WAIT waits gives RedisUnavailableError (the write got its reply, the WAIT none)', async () => {
    const { connection } = subject;
    pair.replica.pause();
    try {
      const write = rejection(connection.run(add, ['d:dies'], [1], { durability: { replicas: 1, waitMs: 3000 } }));
      await sleep(300);
      await pair.primary.kill();
      const error = await write;
      expect(error, String(error)).toBeInstanceOf(RedisUnavailableError);
    } finally {
      pair.replica.resume();
      await pair.primary.restart();
    }
  });
});

// A cluster with one replica per primary: the WAIT runs on the node (and connection) of the
// write, also after EXEC, where ioredis would send a keyless command to any node.
describe.skipIf(target !== 'cluster')(`durable writes on a cluster via ${driver}`, () => {
  let cluster: RedisCluster;
  let connection: RedisConnection;
  beforeAll(async () => {
    cluster = await startCluster(3, { replicas: 1 });
    connection = await RedisConnection.connect({ clusterNodes: cluster.seeds, driver }, { prefix: uniquePrefix(), commandTimeoutMs: 5000 });
  }, 60_000);
  afterAll(async () => {
    await connection?.close();
    await cluster?.stop();
  });

  it("confirmed by the replica of the key's primary; refused while that replica is frozen", async () => {
    const key = connection.keys('durability-test').key('c', 'n');
    const atomic = (durability = once) => connection.pipeline([['INCR', key]], { atomic: true, routeKey: key, durability });
    const writes = [
      (durability = once) => connection.run(add, [key], [1], { durability }),
      (durability = once) => connection.send(['INCR', key], key, { durability }),
      (durability = once) => connection.pipeline([['INCR', key]], { routeKey: key, durability }),
      atomic,
      // Without routeKey: the first command's key routes the WAIT.
      (durability = once) => connection.pipeline([['INCR', key]], { durability }),
    ];
    for (const write of writes) await write();
    const primary = await cluster.primaryOf(key);
    const [replica] = await cluster.replicasOf(primary);
    expect(onClusterReplica(replica?.port as number, key)).toBe('5');
    replica?.pause();
    try {
      for (const write of writes) expect(await rejection(write({ replicas: 1, waitMs: 200 }))).toBeInstanceOf(ReplicationError);
      // A WAIT sent to any other node would confirm at once: five tries of each leave no luck.
      for (const write of writes) {
        for (let i = 0; i < 5; i++) expect(await rejection(write({ replicas: 1, waitMs: 50 }))).toBeInstanceOf(ReplicationError);
      }
    } finally {
      replica?.resume();
    }
    expect(await atomic()).toEqual([36]);
  });

  it('a plain durable pipeline is its commands and one WAIT on their node: no MULTI, no EXISTS', async () => {
    const key = connection.keys('durability-test').key('plain', 'n');
    // Connects the cluster client to every node first: a count reads every primary.
    await connection.send(['SET', key, '0'], key);
    const counted = await countCommands(connection, () => connection.pipeline([['INCR', key]], { routeKey: key, durability: once }));
    expect(counted.result).toEqual([1]);
    const { multi, exec, exists, incr, wait } = counted.byCommand;
    expect({ multi, exec, exists, incr, wait }).toEqual({ multi: undefined, exec: undefined, exists: undefined, incr: 1, wait: 1 });
  });

  it('a write refused with an error reply is sent once', async () => {
    const key = connection.keys('durability-test').key('wrong', 'text');
    await connection.send(['SET', key, 'not a number'], key);
    const counted = await countCommands(connection, () =>
      rejection(connection.send(['INCR', key], key, { durability: { replicas: 1, waitMs: 100 } })),
    );
    expect(counted.result).toBeInstanceOf(RedisCommandError);
    const { incr, exists, wait } = counted.byCommand;
    expect({ incr, exists, wait }).toEqual({ incr: 1, exists: undefined, wait: 1 });
  });

  // ioredis: the old primary refuses the write with MOVED (see withWait). node-redis sends a
  // pipeline's commands one by one: the write follows MOVED by itself, the WAIT beside it reaches
  // the old primary, now a replica, which refuses it; the WAIT is asked of the new primary.
  it("a durable write to a primary that handed the key's slot to its replica ends confirmed by the new primary", async () => {
    const key = connection.keys('durability-test').key('moved', 'n');
    expect(await connection.send(['INCR', key], key, { durability: once })).toBe(1);
    const primary = await cluster.primaryOf(key);
    const [replica] = await cluster.replicasOf(primary);
    if (!replica) throw new Error('no replica');
    // A manual failover: the replica takes over with every write, the old primary becomes its replica.
    await redisCli(replica.port, 'CLUSTER', 'FAILOVER');
    await waitFor(
      async () => (await cluster.primaryOf(key)) === replica && (await cluster.replicasOf(replica)).includes(primary),
      20_000,
      'the manual failover',
    );
    await cluster.replicaCaughtUp(replica);
    // The client still routes the key to the old primary, which answers MOVED.
    expect(await connection.send(['INCR', key], key, { durability: once })).toBe(2);
    expect(await connection.send(['GET', key], key)).toBe('2');
  }, 30_000);
});

describe(`durability options via ${driver}`, () => {
  it('are validated before anything is sent: replicas 1..100, waitMs 1..60000, integers', async () => {
    const connection = await testConnection();
    const key = connection.keys('durability-test').key('v');
    const bad = [
      { replicas: 0, waitMs: 100 },
      { replicas: 101, waitMs: 100 },
      { replicas: 1.5, waitMs: 100 },
      { replicas: 1, waitMs: 0 },
      { replicas: 1, waitMs: 60_001 },
      { replicas: 1, waitMs: Number.NaN },
    ];
    const counted = await countCommands(connection, async () => {
      for (const durability of bad) {
        const options = { durability } as never;
        expect(await rejection(connection.run(add, [key], [1], options))).toBeInstanceOf(ValidationError);
        expect(await rejection(connection.send(['SET', key, 'v'], key, options))).toBeInstanceOf(ValidationError);
        expect(await rejection(connection.pipeline([['SET', key, 'v']], options))).toBeInstanceOf(ValidationError);
      }
    });
    expect(counted.total).toBe(0);
    // The limits themselves are accepted (refused only because the test servers have no replicas).
    for (const durability of [
      { replicas: 100, waitMs: 1 },
      { replicas: 1, waitMs: 1 },
    ]) {
      expect(await rejection(connection.run(add, [key], [1], { durability }))).toBeInstanceOf(ReplicationError);
    }
    await connection.close();
  });
});

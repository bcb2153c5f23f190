// Durable writes: a command (or a coalesced batch of script calls, or a pipeline) and a WAIT
// for replicas in one round trip, on a private primary with one replica. A frozen replica
// (SIGSTOP) confirms nothing, so the write is refused with ReplicationError after `waitMs`
// while it did run on the primary. Bad durability options are refused before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplicatedPair, redisCli, startReplicated } from '../../scripts/lib/redis-servers.js';
import { type RedisConnection, ReplicationError, ValidationError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';

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

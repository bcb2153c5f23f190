import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SentinelTopology, startSentinels } from '../../scripts/lib/redis-sentinel.js';
import { CommandTimeoutError, RedisConnection, RedisUnavailableError } from '../../src/index.js';
import { defineScript, sleep } from '../../src/kit/index.js';
import { driver, target, uniquePrefix } from '../harness/redis.js';
import { sentinelUserClient } from '../harness/sentinel-client.js';

const incrBy = defineScript<[amount: number]>('test/sentinel-incrby', "return redis.call('INCRBY', KEYS[1], ARGV[1])", { keys: 1 });
const TIMEOUT_MS = 500;

const typed = (e: unknown) => e instanceof RedisUnavailableError || e instanceof CommandTimeoutError;

/** A connection with what the operations keep across the failover: a duplicate for blocking reads and one subscription. */
interface Subject {
  label: string;
  connection: RedisConnection;
  blocking: RedisConnection;
  channel: string;
  received: string[];
  close(): Promise<void>;
}

async function subject(label: string, connection: RedisConnection, closeClient: () => Promise<void>): Promise<Subject> {
  const s: Subject = {
    label,
    connection,
    blocking: await connection.duplicate(),
    channel: `${connection.prefix}:news`,
    received: [],
    close: async () => {
      await s.blocking.close();
      await connection.close();
      await closeClient();
    },
  };
  await (await connection.subscriber()).subscribe(s.channel, (message) => s.received.push(message));
  return s;
}

/** Every operation once; throws on the first failure. */
async function operations(s: Subject, round: string): Promise<void> {
  const { connection, blocking } = s;
  const ks = connection.keys('sentinel-test');
  const counter = ks.key(round, 'n');
  expect(await connection.run(incrBy, [counter], [2])).toBe(2);
  const text = ks.key(round, 'text');
  const commands = [
    ['SET', text, 'a'],
    ['APPEND', text, 'b'],
    ['GET', text],
  ];
  expect(await connection.pipeline(commands, { routeKey: text })).toEqual(['OK', 2, 'ab']);
  expect(await connection.pipeline(commands, { atomic: true, routeKey: text })).toEqual(['OK', 2, 'ab']);
  const list = ks.key(round, 'list');
  // Settled into a value at once, so a failed RPUSH leaves no unhandled rejection behind.
  const popped = blocking.send(['BLPOP', list, 5], list, { timeoutMs: 7000 }).then(
    (reply) => ({ reply }),
    (error: unknown) => ({ error }),
  );
  await sleep(50);
  await connection.send(['RPUSH', list, 'job'], list);
  const outcome = await popped;
  if ('error' in outcome) throw outcome.error;
  expect(outcome.reply).toEqual([list, 'job']);
  // The subscription made at the start, carried over any failover by the client.
  const message = `${round}-message`;
  for (let i = 0; !s.received.includes(message); i++) {
    if (i === 50) throw new Error(`${s.label}: no pub/sub message in round ${round}`);
    await connection.send(['PUBLISH', s.channel, message]);
    await sleep(100);
  }
}

/** Repeats `operations` until a round succeeds; returns the errors met on the way. */
async function untilWorking(s: Subject, round: string, timeoutMs: number): Promise<unknown[]> {
  const errors: unknown[] = [];
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await operations(s, `${round}-${attempt}`);
      return errors;
    } catch (err) {
      errors.push(err);
      if (Date.now() > deadline) throw new Error(`${s.label}: not working again within ${timeoutMs} ms: ${err}`);
      await sleep(100);
    }
  }
}

async function primaryPort(connection: RedisConnection): Promise<number> {
  const [primary] = await connection.client.primaries();
  const info = String(await primary?.send(['INFO', 'server']));
  return Number(/^tcp_port:(\d+)/m.exec(info)?.[1]);
}

describe.skipIf(target === 'cluster')(`Sentinel via ${driver}`, () => {
  let topo: SentinelTopology;
  beforeAll(async () => {
    topo = await startSentinels();
  });
  afterAll(async () => {
    await topo?.stop();
  });

  it('from(a sentinel client) and connect({ sentinels, name }) keep working across a failover, with typed errors only', async () => {
    const user = await sentinelUserClient(topo);
    const subjects = [
      await subject('from', RedisConnection.from(user.client, { prefix: uniquePrefix(), commandTimeoutMs: TIMEOUT_MS }), user.close),
      await subject(
        'connect',
        await RedisConnection.connect(
          { sentinels: topo.sentinelAddresses, name: topo.name, driver },
          { prefix: uniquePrefix(), commandTimeoutMs: TIMEOUT_MS },
        ),
        async () => {},
      ),
    ];
    try {
      const before = await topo.primary();
      for (const s of subjects) {
        await operations(s, 'before');
        expect(await primaryPort(s.connection)).toBe(before.port);
      }

      // Operations keep running while the primary dies and the Sentinels promote its replica.
      const errors: unknown[] = [];
      let failedOver = false;
      const failover = topo.failover().finally(() => {
        failedOver = true;
      });
      const during = subjects.map(async (s) => {
        for (let i = 0; !failedOver; i++) {
          await operations(s, `during-${i}`).catch((err) => errors.push(err));
        }
      });
      const after = await failover;
      await Promise.all(during);
      for (const s of subjects) errors.push(...(await untilWorking(s, 'recovering', 30_000)));

      expect(errors.length, 'the outage was noticed').toBeGreaterThan(0);
      expect(errors.filter((e) => !typed(e)).map(String)).toEqual([]);
      expect(after.port).not.toBe(before.port);
      for (const s of subjects) {
        await operations(s, 'after');
        expect(await primaryPort(s.connection)).toBe(after.port);
      }
      // The replica never ran the script (replication carries its effects), so the first call
      // on it as primary met NOSCRIPT and was sent again with EVAL.
      const [primary] = await (subjects[0] as Subject).connection.client.primaries();
      expect(String(await primary?.send(['INFO', 'errorstats']))).toMatch(/^errorstat_NOSCRIPT:count=[1-9]/m);
    } finally {
      await Promise.all(subjects.map((s) => s.close()));
    }
  }, 120_000);
});

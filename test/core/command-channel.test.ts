import { channel } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import type { CommandMessage } from '../../src/core/telemetry.js';
import { defineScript, randomId } from '../../src/kit/index.js';
import { driver, target, testConnection } from '../harness/redis.js';

// A source no server has cached yet: its first call is answered NOSCRIPT and sent again with EVAL.
const fresh = defineScript<[], number>('test/command-channel', `-- ${randomId()}\nreturn 1`, { keys: 1, parseReply: Number });
const add = defineScript<[n: number], number>(
  'test/command-channel-add',
  `local function call(k, a, res) res[#res + 1] = redis.call('INCRBY', KEYS[k + 1], ARGV[a + 1]) end`,
  { keys: 1, coalesce: { replyLength: 1 }, parseReply: (reply) => Number((reply as unknown[])[0]) },
);

/** The messages published on `redis-patterns:command` while `fn` runs, each without its duration (checked here). */
async function published(fn: () => Promise<unknown>): Promise<Omit<CommandMessage, 'durationMs'>[]> {
  const messages: CommandMessage[] = [];
  const onMessage = (message: unknown) => messages.push(message as CommandMessage);
  const commands = channel('redis-patterns:command');
  const started = performance.now();
  commands.subscribe(onMessage);
  try {
    await fn();
  } finally {
    commands.unsubscribe(onMessage);
  }
  const elapsed = performance.now() - started;
  return messages.map(({ durationMs, ...rest }) => {
    expect(durationMs).toBeGreaterThanOrEqual(0);
    expect(durationMs).toBeLessThanOrEqual(elapsed);
    return rest;
  });
}

describe(`the command channel on ${target} via ${driver}`, () => {
  it('publishes a script round trip, and its reload after NOSCRIPT as a second one marked reloaded', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('channel', 'n');
    const first = await published(() => conn.run(fresh, [key], []));
    expect(first).toHaveLength(2);
    const [missing, reloaded] = first;
    expect(missing).toStrictEqual({ kind: 'script', name: 'test/command-channel', calls: 1, errorCode: expect.any(String) });
    expect(reloaded).toStrictEqual({ kind: 'script', name: 'test/command-channel', calls: 1, reloaded: true });
    expect(await published(() => conn.run(fresh, [key], []))).toStrictEqual([{ kind: 'script', name: 'test/command-channel', calls: 1 }]);
  });

  it('counts the calls a coalesced round trip carried', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('channel', 'sum');
    await conn.run(add, [key], [0]);
    const messages = await published(() => Promise.all([1, 2, 3].map((n) => conn.run(add, [key], [n]))));
    expect(messages).toStrictEqual([{ kind: 'script', name: 'test/command-channel-add', calls: 3 }]);
  });

  it('publishes commands and pipelines, with the typed error code of a failure', async () => {
    const conn = await testConnection();
    const key = conn.keys('test').key('channel', 'v');
    const messages = await published(async () => {
      await conn.send(['SET', key, 'x'], key);
      await conn.send(['LPUSH', key, 'y'], key).catch(() => {});
      await conn.pipeline(
        [
          ['GET', key],
          ['STRLEN', key],
        ],
        { routeKey: key },
      );
      await conn.pipeline([['GET', key]], { atomic: true, routeKey: key });
    });
    expect(messages).toStrictEqual([
      { kind: 'command', name: 'SET', calls: 1 },
      { kind: 'command', name: 'LPUSH', calls: 1, errorCode: 'REDIS_ERROR' },
      { kind: 'pipeline', name: 'pipeline', calls: 2 },
      { kind: 'pipeline', name: 'MULTI', calls: 1 },
    ]);
  });
});

// What a closed connection says when it refuses: a RedisUnavailableError whose message names
// what it refuses (a command of one that owned its client, a new pub/sub or command connection).
import { describe, expect, it } from 'vitest';
import { RedisConnection, RedisUnavailableError } from '../../src/index.js';
import { driver, rawClient, target, topology } from '../harness/redis.js';

async function refusal(call: () => Promise<unknown>): Promise<RedisUnavailableError> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, String(error)).toBeInstanceOf(RedisUnavailableError);
  expect((error as RedisUnavailableError).code).toBe('REDIS_UNAVAILABLE');
  return error as RedisUnavailableError;
}

describe(`refusals of a closed connection on ${target} via ${driver}`, () => {
  it('name what is refused', async () => {
    const topo = topology();
    const owned = await RedisConnection.connect(
      target === 'cluster' ? { clusterNodes: topo.clusterNodes, driver } : { url: topo.standaloneUrl, driver },
    );
    await owned.close();
    expect((await refusal(() => owned.send(['PING']))).message).toBe('the connection is closed');
    expect((await refusal(() => owned.pipeline([['PING']]))).message).toBe('the connection is closed');
    expect((await refusal(() => owned.preload([]))).message).toBe('the connection is closed');
    expect((await refusal(() => owned.scan('*').next())).message).toBe('the connection is closed');

    // A duplicate owns its client: closed, it refuses as one that created its client does.
    const source = RedisConnection.from(await rawClient());
    const copy = await source.duplicate();
    await copy.close();
    expect((await refusal(() => copy.send(['PING']))).message).toBe('the connection is closed');
    expect(await source.send(['PING'])).toBe('PONG');

    const given = RedisConnection.from(await rawClient());
    await given.close();
    expect((await refusal(() => given.subscriber())).message).toBe('the connection is closed: it opens no pub/sub connection');
    expect((await refusal(() => given.duplicate())).message).toBe('the connection is closed: it opens no new connection');
  });
});

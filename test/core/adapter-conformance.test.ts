// One contract for every client adapter (src/core/client/types.ts `RedisClient`): each project
// runs it on its own adapter, so the four projects cover ioredis and node-redis, standalone and
// cluster. Modules rely on exactly these behaviours and nothing else of a client.
import { describe, expect, it, vi } from 'vitest';
import { adaptClient } from '../../src/core/client/detect.js';
import type { RedisClient } from '../../src/index.js';
import { driver, killPubSubConnections, rawClient, target, uniquePrefix } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';

async function adapter(): Promise<RedisClient> {
  return adaptClient(await rawClient());
}

// Keys of one hash tag, so multi-key commands and pipelines stay in one slot on a cluster.
function keys(): { a: string; b: string; list: string } {
  const tag = `{${uniquePrefix('conformance')}}`;
  return { a: `${tag}:a`, b: `${tag}:b`, list: `${tag}:list` };
}

describe(`client adapter contract on ${target} via ${driver}`, () => {
  it('describes itself', async () => {
    const client = await adapter();
    expect(client.driver).toBe(driver);
    expect(client.isCluster).toBe(target === 'cluster');
  });

  it('send: string, number and Buffer arguments; integer, bulk, nil and array replies', async () => {
    const client = await adapter();
    const { a, b } = keys();
    expect(await client.send(['SET', a, 'value'], a)).toBe('OK');
    expect(await client.send(['GET', a], a)).toBe('value');
    expect(await client.send(['GET', b], b)).toBeNull();
    expect(await client.send(['INCRBY', b, 5], b)).toBe(5);
    expect(await client.send(['SET', a, Buffer.from('bytes')], a)).toBe('OK');
    expect(await client.send(['GET', a], a)).toBe('bytes');
    expect(await client.send(['MGET', a, b], a)).toEqual(['bytes', '5']);
    expect(await client.send(['EVAL', 'return {1, "two", false}', 1, a], a)).toEqual([1, 'two', null]);
  });

  it('send: an error reply rejects with the server message', async () => {
    const client = await adapter();
    const { a } = keys();
    await client.send(['SET', a, 'text'], a);
    await expect(client.send(['INCR', a], a)).rejects.toThrow(/not an integer/);
    await expect(client.send(['LPUSH', a, 'x'], a)).rejects.toThrow(/^WRONGTYPE/);
  });

  it('pipeline: replies in order; MULTI is atomic; the first error reply rejects', async () => {
    const client = await adapter();
    const { a, b, list } = keys();
    const plain = await client.pipeline(
      [
        ['SET', a, '1'],
        ['INCR', a],
        ['RPUSH', list, 'x', 'y'],
        ['LRANGE', list, 0, -1],
        ['GET', b],
      ],
      { routeKey: a },
    );
    expect(plain).toEqual(['OK', 2, 2, ['x', 'y'], null]);
    const atomic = await client.pipeline(
      [
        ['INCR', a],
        ['INCR', a],
      ],
      { atomic: true, routeKey: a },
    );
    expect(atomic).toEqual([3, 4]);
    await client.send(['SET', b, 'text'], b);
    await expect(
      client.pipeline(
        [
          ['INCR', a],
          ['INCR', b],
        ],
        { routeKey: a },
      ),
    ).rejects.toThrow(/not an integer/);
    // The pipeline ran up to and past the failing command: the first INCR landed.
    expect(await client.send(['GET', a], a)).toBe('5');
  });

  it('primaries: one client per primary, each answering as a master', async () => {
    const client = await adapter();
    const nodes = await client.primaries();
    expect(nodes).toHaveLength(target === 'cluster' ? 3 : 1);
    for (const node of nodes) {
      const role = (await node.send(['ROLE'])) as unknown[];
      expect(role[0]).toBe('master');
    }
    const ports = await Promise.all(nodes.map(async (n) => String(await n.send(['CONFIG', 'GET', 'port']))));
    expect(new Set(ports).size).toBe(nodes.length);
  });

  it('duplicate: an independent connection a blocking read cannot stall, closed on its own', async () => {
    const client = await adapter();
    const { list } = keys();
    const copy = await client.duplicate();
    const blocked = copy.send(['BLPOP', list, 1], list);
    const started = Date.now();
    expect(await client.send(['PING'])).toBe('PONG');
    expect(Date.now() - started).toBeLessThan(500);
    await client.send(['RPUSH', list, 'job'], list);
    expect(await blocked).toEqual([list, 'job']);
    await copy.close();
    expect(await client.send(['PING'])).toBe('PONG');
  });

  // Sharded subscribers (SSUBSCRIBE, for SPUBLISH) only on a cluster: standalone has one node.
  for (const sharded of target === 'cluster' ? [false, true] : [false]) {
    it(`createSubscriber${sharded ? ' (sharded)' : ''}: subscribe resolves once confirmed; handlers of one channel share it; unsubscribe and close`, async () => {
      const client = await adapter();
      const channel = `{${uniquePrefix('chan')}}`;
      const publish = (message: string) => client.send([sharded ? 'SPUBLISH' : 'PUBLISH', channel, message], channel);
      const sub = await client.createSubscriber({ sharded });
      expect(sub.sharded).toBe(sharded);
      const first: string[] = [];
      const second: string[] = [];
      const onFirst = (message: string, ch: string) => first.push(`${ch}:${message}`);
      await sub.subscribe(channel, onFirst);
      await sub.subscribe(channel, (message) => second.push(message));
      // Confirmed subscription: a message published right away arrives. (PUBLISH on a cluster
      // counts only the receiving node's subscribers; SPUBLISH counts those of the channel's shard.)
      const receivers = await publish('one');
      if (sharded || target === 'standalone') expect(receivers).toBe(1);
      await waitFor(() => first.length === 1 && second.length === 1, 3000);
      expect(first).toEqual([`${channel}:one`]);
      await sub.unsubscribe(channel, onFirst);
      await publish('two');
      await waitFor(() => second.length === 2, 3000);
      expect(first).toHaveLength(1);
      await sub.close();
      await publish('three');
      await new Promise((r) => setTimeout(r, 100));
      expect(second).toEqual(['one', 'two']);
    });
  }

  it('createSubscriber: after its connection is killed it reports the loss, resubscribes, confirms and delivers again', async () => {
    const client = await adapter();
    const sharded = target === 'cluster';
    // Channels in several slots (and, on a cluster, on several nodes).
    const channels = ['a', 'b', 'c', 'd'].map((t) => `{${uniquePrefix(t)}}`);
    const publish = (channel: string, message: string) => client.send([sharded ? 'SPUBLISH' : 'PUBLISH', channel, message], channel);
    const sub = await client.createSubscriber({ sharded });
    const got: string[] = [];
    for (const c of channels) await sub.subscribe(c, (message, ch) => got.push(`${ch}:${message}`));
    const events: string[] = [];
    sub.onDisconnect?.(() => events.push('lost'));
    sub.onReconnect?.(() => events.push('back'));
    await killPubSubConnections(client);
    await waitFor(() => events.includes('back'), 10_000);
    expect(events[0]).toBe('lost');
    // A cluster loses and restores each node's connection on its own: wait until every channel
    // has its subscriber again, and the last loss was followed by a confirmed resubscription.
    await vi.waitFor(async () => expect(await Promise.all(channels.map((c) => publish(c, 'probe')))).toEqual(channels.map(() => 1)), {
      timeout: 10_000,
    });
    await waitFor(() => events.at(-1) === 'back', 3000);
    // A new handler of a resubscribed channel is confirmed at once, and every channel delivers.
    await sub.subscribe(channels[0] as string, () => {});
    for (const c of channels) expect(await publish(c, 'after'), c).toBe(1);
    const delivered = () => got.filter((m) => m.endsWith(':after'));
    await waitFor(() => delivered().length === channels.length, 3000);
    expect(delivered().sort()).toEqual(channels.map((c) => `${c}:after`).sort());
    await sub.close();
  });

  it('close: closes the client it wraps', async () => {
    const client = await adapter();
    const copy = await client.duplicate();
    expect(await copy.send(['PING'])).toBe('PONG');
    await copy.close();
    await expect(copy.send(['PING'])).rejects.toThrow();
  });
});

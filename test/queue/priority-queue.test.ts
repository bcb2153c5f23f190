import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError } from '../../src/index.js';
import { PriorityQueue } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { privateConnection } from '../harness/private-server.js';
import { closeAfterAll, driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';

describe(`PriorityQueue on ${target} via ${driver}`, () => {
  it('pops the lowest priority first, equal priorities in insertion order', async () => {
    const connection = await testConnection();
    const pq = new PriorityQueue<string>({ connection, name: 'triage' });
    await pq.add('msg', 'routine-1', 5);
    await pq.add('msg', 'urgent', 0);
    await pq.addBulk([
      { name: 'msg', data: 'routine-2', priority: 5 },
      { name: 'msg', data: 'soon', priority: 1 },
      { name: 'msg', data: 'routine-3', priority: 5 },
    ]);
    expect(await pq.size()).toBe(5);
    const order = (await pq.pop(5)).map((j) => j.data);
    expect(order).toEqual(['urgent', 'soon', 'routine-1', 'routine-2', 'routine-3']);
    expect(await pq.size()).toBe(0);
  });

  it('ids are sequence numbers from 1, consecutive across add and addBulk, the same at pop', async () => {
    const connection = await testConnection();
    const pq = new PriorityQueue<string>({ connection, name: 'numbered' });
    expect(await pq.add('msg', 'a', 3)).toBe('1');
    expect(
      await pq.addBulk([
        { name: 'msg', data: 'b', priority: 2 },
        { name: 'msg', data: 'c', priority: 1 },
      ]),
    ).toEqual(['2', '3']);
    expect(await pq.add('msg', 'd', 0)).toBe('4');
    expect((await pq.pop(4)).map((j) => `${j.id}:${j.data}`)).toEqual(['4:d', '3:c', '2:b', '1:a']);
  });

  it('add is one script call, pop one ZPOPMIN', async () => {
    const connection = await testConnection();
    const pq = new PriorityQueue<number>({ connection, name: 'rt' });
    await pq.add('warm', 0);
    const add = await countCommands(connection, () => pq.add('x', 1, 2));
    expect(add.byCommand).toEqual({ evalsha: 1, incrby: 1, zadd: 1 });
    const pop = await countCommands(connection, () => pq.pop(2));
    expect(pop.byCommand).toEqual({ zpopmin: 1 });
    expect(pop.result.map((j) => j.data)).toEqual([0, 1]);
    expect(pop.result[1]).toMatchObject({ name: 'x', priority: 2 });
  });

  it('take waits on its own connection for the next job', async () => {
    const connection = await testConnection();
    const blocking = await connection.duplicate();
    closeAfterAll(blocking);
    const pq = new PriorityQueue<string>({ connection, name: 'wait' });
    expect(await pq.take(blocking, 100)).toBeUndefined();
    const taken = pq.take(blocking, 3000);
    await new Promise((r) => setTimeout(r, 50));
    await pq.add('msg', 'hello', 3);
    expect(await taken).toMatchObject({ name: 'msg', data: 'hello', priority: 3 });
  });

  it('rejects bad input under its own field before sending anything', async () => {
    const connection = await testConnection();
    const pq = new PriorityQueue({ connection, name: 'bad' });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => pq.add('', 1), 'jobs[0].name');
      await expectInvalid(() => pq.add('x', 1, -1), 'jobs[0].priority');
      await expectInvalid(() => pq.add('x', 10n), 'jobs[0].data');
      await expectInvalid(() => pq.addBulk('x' as never), 'jobs', /must be an array/);
      await expectInvalid(() => pq.addBulk([{ name: 'ok', data: 1 }, null as never]), 'jobs[1].name');
      await expectInvalid(
        () =>
          pq.addBulk([
            { name: 'ok', data: 1 },
            { name: 'ok', data: 1, priority: 1.5e300 },
          ]),
        'jobs[1].priority',
      );
      await expectInvalid(
        () =>
          pq.addBulk([
            { name: 'ok', data: 1 },
            { name: 'ok', data: 10n },
          ]),
        'jobs[1].data',
      );
      await expectInvalid(() => pq.pop(0), 'count');
    });
    expect(total).toBe(0);
    expect(await pq.size()).toBe(0);
    // BZPOPMIN 0 would block forever, past the reply's time limit: a job popped then would reach nobody.
    await expectInvalid(() => pq.take(connection, 0), 'timeoutMs');
    await expectInvalid(() => new PriorityQueue({ connection, name: '' }), 'name');
    await expectInvalid(() => new PriorityQueue(null as never), 'options', /must be an object/);
    await expectInvalid(() => new PriorityQueue('triage' as never), 'options', /must be an object/);
  });

  it('addBulk of no jobs sends nothing; a job given no priority gets 0; pop takes one by default', async () => {
    const connection = await testConnection();
    const pq = new PriorityQueue<string>({ connection, name: 'defaults' });
    const { result, total } = await countCommands(connection, () => pq.addBulk([]));
    expect(result).toEqual([]);
    expect(total).toBe(0);
    await pq.addBulk([
      { name: 'msg', data: 'later', priority: 1 },
      { name: 'msg', data: 'default' },
    ]);
    const [first, ...rest] = await pq.pop();
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ data: 'default', priority: 0 });
    expect(await pq.size()).toBe(1);
  });

  it('keeps its jobs under the two documented keys, …{name}:priority and …{name}:priority-seq', async () => {
    const connection = await testConnection();
    const pq = new PriorityQueue<string>({ connection, name: 'triage' });
    expect(pq.key).toMatch(/:queue:\{triage\}:priority$/);
    const seqKey = `${pq.key}-seq`;
    await pq.add('msg', 'a', 2);
    await pq.add('msg', 'b', 1);
    expect(await connection.send(['ZCARD', pq.key], pq.key)).toBe(2);
    expect(await connection.send(['GET', seqKey], seqKey)).toBe('2');
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the queue at risk', async () => {
    // An evicted sorted set loses every waiting job; an evicted counter gives ids again.
    expect(await modulesAtRiskAfter((connection) => new PriorityQueue({ connection, name: 'triage' }))).toEqual(['queue']);
  });

  it("take's reply may take timeoutMs plus the connection's commandTimeoutMs, and no longer", async () => {
    const connection = await testConnection({ commandTimeoutMs: 300 });
    const blocking = await connection.duplicate();
    closeAfterAll(blocking);
    const pq = new PriorityQueue<string>({ connection, name: 'slow' });
    // Longer than the command timeout alone: the wait is not cut short.
    expect(await pq.take(blocking, 800)).toBeUndefined();
    // A server that answers nothing: the call gives up once both have passed.
    const server = await startRedis();
    try {
      const hung = await privateConnection(server, { commandTimeoutMs: 300 });
      try {
        const onHung = new PriorityQueue<string>({ connection: hung.connection, name: 'slow' });
        expect(await onHung.size()).toBe(0);
        server.pause();
        const started = performance.now();
        const taken = onHung.take(hung.connection, 200).catch((e: unknown) => e);
        const late = new Promise((r) => setTimeout(() => r('still waiting after 3 s'), 3000));
        expect(await Promise.race([taken, late])).toBeInstanceOf(CommandTimeoutError);
        expect(performance.now() - started).toBeGreaterThanOrEqual(450);
      } finally {
        server.resume();
        hung.close();
      }
    } finally {
      await server.stop();
    }
  });
});

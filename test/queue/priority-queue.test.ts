import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { PriorityQueue } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target, testConnection } from '../harness/redis.js';

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

  it('rejects bad input before sending anything', async () => {
    const connection = await testConnection();
    const pq = new PriorityQueue({ connection, name: 'bad' });
    const { total } = await countCommands(connection, async () => {
      await expect(pq.add('', 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(pq.add('x', 1, -1)).rejects.toBeInstanceOf(ValidationError);
      await expect(pq.add('x', 10n)).rejects.toBeInstanceOf(ValidationError);
      await expect(pq.pop(0)).rejects.toBeInstanceOf(ValidationError);
    });
    expect(total).toBe(0);
    // BZPOPMIN 0 would block forever, past the reply's time limit: a job popped then would reach nobody.
    await expect(pq.take(connection, 0)).rejects.toBeInstanceOf(ValidationError);
    expect(() => new PriorityQueue({ connection, name: '' })).toThrow(ValidationError);
  });
});

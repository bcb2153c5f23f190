import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { freshQueue } from './helpers.js';

describe(`StreamQueue producer on ${target} via ${driver}`, () => {
  it('add is one XADD; the job waits in the stream', async () => {
    const { connection, queue } = await freshQueue();
    await queue.add('warm', 1);
    const { result, byCommand, total } = await countCommands(connection, () => queue.add('sync', { providerId: 'p-1' }));
    expect(byCommand).toEqual({ xadd: 1 });
    expect(total).toBe(1);
    expect(result.added).toBe(true);
    expect(result.id).toMatch(/^\d+-\d+$/);
    expect(await queue.counts()).toEqual({ waiting: 2, pending: 0, delayed: 0, dead: 0 });
  });

  it('addBulk is one round trip (one EVALSHA) for the whole batch', async () => {
    const { connection, queue } = await freshQueue();
    await queue.addBulk([{ name: 'warm', data: 0 }]);
    const jobs = Array.from({ length: 50 }, (_, i) => ({ name: 'sync', data: { i } }));
    const { result, byCommand } = await countCommands(connection, () => queue.addBulk(jobs));
    expect(byCommand.evalsha).toBe(1);
    expect(byCommand.xadd).toBe(50);
    expect(result).toHaveLength(50);
    expect(new Set(result.map((r) => r.id)).size).toBe(50);
    expect((await queue.counts()).waiting).toBe(51);
  });

  it('a job id enqueues once: the second add reports added: false', async () => {
    const { connection, queue } = await freshQueue();
    const first = await queue.add('refill', { rx: 7 }, { jobId: 'refill:7' });
    const { result: second, byCommand } = await countCommands(connection, () => queue.add('refill', { rx: 7 }, { jobId: 'refill:7' }));
    expect(first).toEqual({ id: 'refill:7', added: true, delayed: false });
    expect(second).toEqual({ id: 'refill:7', added: false, delayed: false });
    expect(byCommand).toEqual({ evalsha: 1, hsetnx: 1 });
    expect((await queue.counts()).waiting).toBe(1);
  });

  it('the same job id added concurrently from many callers enqueues once', async () => {
    const { queue } = await freshQueue();
    const results = await Promise.all(Array.from({ length: 20 }, () => queue.add('email', { to: 'a' }, { jobId: 'email:a' })));
    expect(results.filter((r) => r.added)).toHaveLength(1);
    expect((await queue.counts()).waiting).toBe(1);
  });

  it('delayMs and runAt park the job in the delayed set', async () => {
    const { queue } = await freshQueue();
    const a = await queue.add('later', 1, { delayMs: 60_000 });
    const b = await queue.add('later', 2, { runAt: new Date(Date.now() + 60_000) });
    expect(a.delayed && b.delayed).toBe(true);
    expect(a.id).not.toBe(b.id);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 2, dead: 0 });
  });

  it('addBulk mixes plain, deduplicated and delayed jobs in one call', async () => {
    const { connection, queue } = await freshQueue();
    await queue.add('warm', 0, { jobId: 'warm' });
    const { result, byCommand } = await countCommands(connection, () =>
      queue.addBulk([
        { name: 'a', data: 1 },
        { name: 'b', data: 2, options: { jobId: 'b' } },
        { name: 'b', data: 2, options: { jobId: 'b' } },
        { name: 'c', data: 3, options: { delayMs: 60_000 } },
        { name: 'd', data: 4, options: { runAt: Date.now() - 1000 } },
      ]),
    );
    expect(byCommand.evalsha).toBe(1);
    expect(result.map((r) => [r.added, r.delayed])).toEqual([
      [true, false],
      [true, false],
      [false, false],
      [true, true],
      [true, false],
    ]);
    expect(result[1]?.id).toBe('b');
    expect(await queue.counts()).toEqual({ waiting: 4, pending: 0, delayed: 1, dead: 0 });
  });

  it('maxLen trims the stream approximately', async () => {
    const { queue } = await freshQueue({ maxLen: 100 });
    for (let i = 0; i < 10; i++) await queue.addBulk(Array.from({ length: 100 }, (_, j) => ({ name: 'x', data: i * 100 + j })));
    const { waiting } = await queue.counts();
    expect(waiting).toBeLessThan(1000);
    expect(waiting).toBeGreaterThanOrEqual(100);
  });

  it('rejects bad input with ValidationError before sending anything', async () => {
    const { connection, queue } = await freshQueue();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const { total } = await countCommands(connection, async () => {
      await expect(queue.add('x', cyclic)).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.add('x', () => 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.add('x', 1, { attempts: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.add('x', 1, { attempts: 1.5 })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.add('x', 1, { delayMs: -1 })).rejects.toBeInstanceOf(ValidationError);
      // The option's 0.x name: a job meant for later must not run at once.
      await expect(queue.add('x', 1, { delay: 60_000 } as never)).rejects.toMatchObject({ field: 'options.delay' });
      await expect(queue.add('x', 1, { runAt: new Date('nope') })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.add('x', 1, { delayMs: 1, runAt: Date.now() })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.add('', 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.add('x', 1, { jobId: '' })).rejects.toBeInstanceOf(ValidationError);
      // One bad job in a bulk: nothing of the bulk is enqueued.
      await expect(
        queue.addBulk([
          { name: 'ok', data: 1 },
          { name: 'bad', data: 1, options: { attempts: -1 } },
        ]),
      ).rejects.toBeInstanceOf(ValidationError);
    });
    expect(total).toBe(0);
    expect(() => new StreamQueue({ connection, name: '' })).toThrow(ValidationError);
    expect(() => new StreamQueue({ connection, name: 'q', defaultAttempts: 0 })).toThrow(ValidationError);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('keeps every key of a queue in one hash slot', async () => {
    const connection = await testConnection();
    const queue = new StreamQueue({ connection, name: 'a:b{c}' });
    const tags = Object.values(queue.keys).map((k) => k.match(/\{[^}]*\}/)?.[0]);
    expect(new Set(tags).size).toBe(1);
  });
});

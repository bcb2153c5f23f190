// What the queue's own Redis commands (store.ts) promise beyond the scripts: errors they pass on
// and the ones they absorb, the stream cap on plain adds, what a closed worker leaves in the
// group, the replies of the inspection reads, and the result a kept job records.
import { describe, expect, it } from 'vitest';
import { RedisCommandError } from '../../src/index.js';
import { MIN_EVERY_MS, StreamQueue, type Worker } from '../../src/queue/index.js';
import { closeAfterAll, driver, target, testConnection } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

describe(`Queue store commands on ${target} via ${driver}`, () => {
  it('ensureGroup is idempotent but passes on any other error than an existing group (a stream key of the wrong type)', async () => {
    const { connection, queue } = await freshQueue();
    await queue.ensureGroup();
    await queue.ensureGroup();
    const broken = (await freshQueue()).queue;
    await connection.send(['SET', broken.keys.stream, 'not a stream'], broken.keys.stream);
    const err = await broken.ensureGroup().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RedisCommandError);
    expect((err as Error).message).toMatch(/WRONGTYPE/);
  });

  it('activeByConsumer is empty before any worker made the group, and rejects on a stream key of the wrong type', async () => {
    const { connection, queue } = await freshQueue();
    await queue.add('x', 1);
    expect(await queue.activeByConsumer()).toEqual({});
    const broken = (await freshQueue()).queue;
    await connection.send(['SET', broken.keys.stream, 'not a stream'], broken.keys.stream);
    await expect(broken.activeByConsumer()).rejects.toThrow(/WRONGTYPE/);
  });

  it('isPaused is false on a new queue, true once paused and false again after resume', async () => {
    const { queue } = await freshQueue();
    expect(await queue.isPaused()).toBe(false);
    await queue.pause();
    expect(await queue.isPaused()).toBe(true);
    await queue.resume();
    expect(await queue.isPaused()).toBe(false);
  });

  it("a queue instance's first call, pause(), reaches a running worker through the control channel", async () => {
    const { connection, queue } = await freshQueue<number>();
    // No maintenance pass after the first: only the channel's message can tell the worker.
    const worker = closing(await queue.process(() => undefined, { promoteIntervalMs: 60_000 }));
    const other = new StreamQueue<number>({ connection, name: queue.name });
    expect(await other.pause()).toBe(true);
    await waitFor(() => worker.isPaused, 5000, 'the worker to learn of the pause');
  });

  it('plain adds (one XADD each) keep the stream near maxLen', async () => {
    const { connection, queue } = await freshQueue<number>({ maxLen: 10 });
    for (let i = 0; i < 500; i++) await queue.add('x', i);
    // Trimming is approximate (whole stream nodes of 100 entries), so the cap is loose but far below 500.
    const length = Number(await connection.send(['XLEN', queue.keys.stream], queue.keys.stream));
    expect(length).toBeLessThanOrEqual(200);
  });

  it('a worker that closed with nothing running leaves no consumer in the group', async () => {
    const { connection, queue } = await freshQueue<number>();
    let done = 0;
    const worker = closing(await queue.process(() => void done++, { consumer: 'short-lived' }));
    await queue.add('x', 1);
    await waitFor(() => done === 1, 5000, 'the job');
    const { stream } = queue.keys;
    const before = (await connection.send(['XINFO', 'CONSUMERS', stream, queue.group], stream)) as unknown[];
    expect(before).toHaveLength(1);
    expect((await worker.close(1000)).abandoned).toBe(0);
    expect(await connection.send(['XINFO', 'CONSUMERS', stream, queue.group], stream)).toEqual([]);
  });

  it('a worker goes on after its stream (and with it the group) was deleted: the next read makes them again', async () => {
    const { connection, queue } = await freshQueue<number>();
    const seen: number[] = [];
    closing(await queue.process((job) => void seen.push(job.data), { blockMs: 200 }));
    await queue.add('x', 1);
    await waitFor(() => seen.length === 1, 5000, 'the first job');
    await connection.send(['DEL', queue.keys.stream], queue.keys.stream);
    // The group is back once a read failed on its absence; jobs added after that are delivered.
    await waitFor(
      async () => {
        if (Number(await connection.send(['EXISTS', queue.keys.stream], queue.keys.stream)) === 0) return false;
        return ((await connection.send(['XINFO', 'GROUPS', queue.keys.stream], queue.keys.stream)) as unknown[]).length === 1;
      },
      10_000,
      'the group made again',
    );
    await queue.add('x', 2);
    await waitFor(() => seen.length === 2, 10_000, 'the job added after the delete');
    expect(seen).toEqual([1, 2]);
  });

  it('getSchedules gives every schedule its next run, not only the first two', async () => {
    const { queue } = await freshQueue<string>();
    const start = Date.now() + 60_000;
    for (let i = 0; i < 4; i++) {
      await queue.upsertSchedule(`s${i}`, { everyMs: MIN_EVERY_MS, startAt: start + i * 1000 }, { name: 'digest', data: `v${i}` });
    }
    const all = await queue.getSchedules();
    expect(all.map((s) => [s.id, s.nextRunAt]).sort()).toEqual([0, 1, 2, 3].map((i) => [`s${i}`, start + i * 1000]));
  });

  it('a scheduled run reaches the handler with its run id schedule:<id>:<due time>', async () => {
    const { queue } = await freshQueue<string>();
    const start = Date.now() + 200;
    await queue.upsertSchedule('digest', { everyMs: 60_000, startAt: start }, { name: 'digest', data: 'v1' });
    const ids: string[] = [];
    closing(await queue.process((job) => void ids.push(job.id)));
    await waitFor(() => ids.length === 1, 10_000, 'the first run');
    expect(ids[0]).toBe(`schedule:digest:${start}`);
  });

  it('a job that returned nothing records no return value, even under a serializer that can write undefined', async () => {
    // Such a serializer (as superjson-like ones do) must not turn "no result" into a stored one.
    const serializer = {
      serialize: (value: unknown) => (value === undefined ? 'null' : JSON.stringify(value)),
      deserialize: <T>(raw: string) => JSON.parse(raw) as T,
    };
    const connection = await testConnection({ serializer });
    const queue = new StreamQueue<string>({ connection, name: 'jobs', keepCompleted: { count: 10 } });
    let completed = 0;
    const worker = closing(await queue.process(() => undefined));
    worker.on('completed', () => completed++);
    const { id } = await queue.add('x', 'nothing');
    await waitFor(() => completed === 1, 5000, 'the job');
    const kept = await queue.getJob(id);
    expect(kept).toMatchObject({ state: 'completed', data: 'nothing' });
    expect(kept?.returnValue).toBeUndefined();
    // Raw as well: getJob shows any text it cannot parse as no value.
    const { completed: records } = queue.keys;
    expect(JSON.parse(String(await connection.send(['HGET', records, id], records)))).toMatchObject({ r: '' });
  });

  it('a result the serializer cannot write completes the job with an empty result in its record', async () => {
    const { connection, queue } = await freshQueue<string>({ keepCompleted: { count: 10 } });
    let completed = 0;
    const worker = closing(await queue.process(() => 10n));
    worker.on('completed', () => completed++);
    const { id } = await queue.add('x', 'big');
    await waitFor(() => completed === 1, 5000, 'the job');
    // Read raw: getJob shows any text it cannot parse as no value.
    const { completed: records } = queue.keys;
    const record = JSON.parse(String(await connection.send(['HGET', records, id], records))) as { r: string };
    expect(record.r).toBe('');
  });
});

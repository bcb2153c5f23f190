// Job state and inspection: getJob in every state, progress, retention of completed jobs,
// per-consumer active counts, paging through dead letters and delayed jobs, the dead-letter
// cap and the ids of jobs trimmed by maxLen.
import { describe, expect, it } from 'vitest';
import { MAX_PAGE, MAX_RETAINED, StreamQueue, type Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Job inspection on ${target} via ${driver}`, () => {
  it('getJob finds a job waiting, active with its consumer and progress, then gone once completed', async () => {
    const { connection, queue } = await freshQueue<{ rx: number }>();
    const { id } = await queue.add('refill', { rx: 7 });
    const waiting = await queue.getJob(id);
    expect(waiting).toMatchObject({ id, state: 'waiting', name: 'refill', data: { rx: 7 }, attemptsMade: 0, maxAttempts: 3 });
    expect(waiting?.enqueuedAt).toBe(Number.parseInt(id, 10));
    const [gate, release] = latch();
    const worker = closing(
      await queue.process(
        async (job) => {
          await job.updateProgress({ done: 1, total: 2 });
          await gate;
          return 'ok';
        },
        { consumer: 'pharmacy-worker' },
      ),
    );
    await waitFor(async () => (await queue.getJob(id))?.progress !== undefined, 5000, 'progress');
    const active = await queue.getJob(id);
    expect(active).toMatchObject({ state: 'active', consumer: 'pharmacy-worker', deliveries: 1, progress: { done: 1, total: 2 } });
    expect(Math.abs((active?.claimedAt ?? 0) - Date.now())).toBeLessThan(5000);
    expect(await queue.activeByConsumer()).toEqual({ 'pharmacy-worker': 1 });
    const { byCommand } = await countCommands(connection, () => queue.getJob(id));
    expect(byCommand.evalsha).toBe(1);
    let completed = 0;
    worker.on('completed', () => completed++);
    release();
    await waitFor(() => completed === 1, 5000, 'completion');
    // Not kept: gone, progress included.
    expect(await queue.getJob(id)).toBeUndefined();
    expect(Number(await connection.send(['HLEN', queue.keys.progress], queue.keys.progress))).toBe(0);
    expect(await queue.activeByConsumer()).toEqual({});
  });

  it('getJob tells a job waiting behind a busy worker from the one it runs', async () => {
    const { queue } = await freshQueue<string>();
    const [gate, release] = latch();
    const worker = closing(await queue.process(() => gate, { consumer: 'busy-worker' }));
    let completed = 0;
    worker.on('completed', () => completed++);
    const running = await queue.add('refill', 'first');
    await waitFor(async () => (await queue.getJob(running.id))?.state === 'active', 5000, 'the first job to run');
    const waiting = await queue.add('refill', 'second');
    const info = await queue.getJob(waiting.id);
    expect(info).toMatchObject({ id: waiting.id, state: 'waiting', data: 'second' });
    expect(info?.consumer).toBeUndefined();
    expect(await queue.getJob(running.id)).toMatchObject({ state: 'active', consumer: 'busy-worker', data: 'first' });
    release();
    await waitFor(() => completed === 2, 5000, 'both jobs');
  });

  it('getJob follows a job through delayed, retrying with its last error, and dead', async () => {
    const { queue } = await freshQueue<string>();
    const delayed = await queue.add('remind', 'later', { delayMs: 60_000 });
    const d = await queue.getJob(delayed.id);
    expect(d).toMatchObject({ state: 'delayed', name: 'remind', data: 'later', attemptsMade: 0 });
    expect((d?.dueAt ?? 0) - Date.now()).toBeGreaterThan(50_000);
    const custom = await queue.add('sync', 'p-1', { jobId: 'sync:p-1', attempts: 2 });
    const worker = closing(
      await queue.process(
        () => {
          throw new Error('scheduling system down');
        },
        { backoff: { baseMs: 60_000, jitter: 0 } },
      ),
    );
    let retrying = 0;
    worker.on('retrying', () => retrying++);
    await waitFor(() => retrying === 1, 5000, 'a retry');
    expect(await queue.getJob('sync:p-1')).toMatchObject({
      id: 'sync:p-1',
      state: 'retrying',
      attemptsMade: 1,
      maxAttempts: 2,
      lastError: 'scheduling system down',
    });
    expect(custom.id).toBe('sync:p-1');
    // A plain job that dies keeps its first entry id as its id.
    const plain = await queue.add('sync', 'p-2', { attempts: 1 });
    await waitFor(async () => (await queue.getJob(plain.id))?.state === 'dead', 5000, 'a dead letter');
    expect(await queue.getJob(plain.id)).toMatchObject({ state: 'dead', attemptsMade: 1, lastError: 'scheduling system down' });
    expect(await queue.getJob('never-added')).toBeUndefined();
  });

  it('completing a job forgets only its own id and progress, also with numeric job ids', async () => {
    // Ids from database rows: job '1' runs (with progress) while job '2' completes alone.
    const { connection, queue } = await freshQueue<string>();
    const [gate, release] = latch();
    const worker = closing(
      await queue.process(
        async (job) => {
          if (job.id !== '1') return;
          await job.updateProgress({ step: 1 });
          await gate;
        },
        { concurrency: 2, consumer: 'row-worker' },
      ),
    );
    const completed: string[] = [];
    worker.on('completed', (job) => completed.push(job.id));
    await queue.add('row', 'first', { jobId: '1' });
    await waitFor(async () => (await queue.getJob('1'))?.progress !== undefined, 5000, 'progress of job 1');
    await queue.add('row', 'second', { jobId: '2' });
    await waitFor(() => completed.includes('2'), 5000, 'job 2');
    expect(await queue.getJob('2')).toBeUndefined();
    expect(await queue.getJob('1')).toMatchObject({ id: '1', state: 'active', consumer: 'row-worker', progress: { step: 1 } });
    // Its id is still taken.
    expect((await queue.add('row', 'again', { jobId: '1' })).added).toBe(false);
    release();
    await waitFor(() => completed.includes('1'), 5000, 'job 1');
    expect(await queue.getJob('1')).toBeUndefined();
    expect(Number(await connection.send(['HLEN', queue.keys.progress], queue.keys.progress))).toBe(0);
    expect((await queue.add('row', 'again', { jobId: '1' })).added).toBe(true);
  });

  it('updateProgress rejects a value the serializer cannot write, sending nothing', async () => {
    const { connection, queue } = await freshQueue();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let outcome: unknown;
    let sent = -1;
    const worker = closing(
      await queue.process(async (job) => {
        const counted = await countCommands(connection, async () => {
          outcome = await job.updateProgress(cyclic).catch((e: unknown) => e);
        });
        sent = counted.byCommand.evalsha ?? 0;
      }),
    );
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.add('x', 1);
    await waitFor(() => completed === 1, 5000, 'the job');
    expect(outcome).toMatchObject({ name: 'ValidationError', field: 'progress' });
    expect(sent).toBe(0);
  });

  it('keeps completed jobs with their return value, by count', async () => {
    const { queue } = await freshQueue<number>({ keepCompleted: { count: 3 } });
    const worker = closing(await queue.process((job) => ({ doubled: job.data * 2 }), { concurrency: 1 }));
    let completed = 0;
    worker.on('completed', () => completed++);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await queue.add('double', i)).id);
      await waitFor(() => completed === i + 1, 5000, `job ${i}`);
    }
    expect(await queue.getJob(ids[0] as string)).toBeUndefined();
    expect(await queue.getJob(ids[1] as string)).toBeUndefined();
    const kept = await queue.getJob(ids[4] as string);
    expect(kept).toMatchObject({ state: 'completed', name: 'double', data: 4, returnValue: { doubled: 8 }, attemptsMade: 0 });
    expect(Math.abs((kept?.finishedAt ?? 0) - Date.now())).toBeLessThan(5000);
    // Both the records and their completion times hold exactly `count`: nothing grows without bound.
    expect(Number(await queue.connection.send(['HLEN', queue.keys.completed], queue.keys.completed))).toBe(3);
    expect(Number(await queue.connection.send(['ZCARD', queue.keys.completedAt], queue.keys.completedAt))).toBe(3);
  });

  it('keeps completed jobs by age', async () => {
    const { queue } = await freshQueue<number>({ keepCompleted: { count: 100, ageMs: 300 } });
    const worker = closing(await queue.process((job) => job.data));
    let completed = 0;
    worker.on('completed', () => completed++);
    const first = await queue.add('x', 1);
    await waitFor(() => completed === 1);
    expect((await queue.getJob(first.id))?.returnValue).toBe(1);
    await sleep(500);
    // The next completion drops what is older than ageMs.
    const second = await queue.add('x', 2);
    await waitFor(() => completed === 2);
    expect(await queue.getJob(first.id)).toBeUndefined();
    expect((await queue.getJob(second.id))?.returnValue).toBe(2);
    // Its completion time went with it: only the second is left.
    expect(Number(await queue.connection.send(['ZCARD', queue.keys.completedAt], queue.keys.completedAt))).toBe(1);
  });

  it('a worker of an instance that keeps no completed jobs leaves those another instance kept', async () => {
    const { connection, queue: keeper } = await freshQueue<number>({ keepCompleted: { count: 10 } });
    const keeping = closing(await keeper.process((job) => job.data * 2));
    let kept = 0;
    keeping.on('completed', () => kept++);
    const first = await keeper.add('double', 1);
    await waitFor(() => kept === 1, 5000, 'the kept job');
    await keeping.close(1000);
    // Same queue, events on (its acks carry records) but nothing kept.
    const plain = new StreamQueue<number>({ connection, name: keeper.name, events: true });
    const worker = closing(await plain.process((job) => job.data * 2));
    let completed = 0;
    worker.on('completed', () => completed++);
    const second = await plain.add('double', 2);
    await waitFor(() => completed === 1, 5000, 'the plain job');
    expect(await plain.getJob(second.id)).toBeUndefined();
    expect(await plain.getJob(first.id)).toMatchObject({ state: 'completed', returnValue: 2 });
  });

  it('retention and events off cost nothing: the ack is XACK + XDEL as before', async () => {
    const { connection, queue } = await freshQueue();
    const worker = closing(await queue.process(() => 'result', { promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 }));
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.add('warm', 0);
    await waitFor(() => completed === 1);
    await sleep(200);
    const { byCommand } = await countCommands(connection, async () => {
      await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'x', data: i })));
      await waitFor(() => completed === 21);
    });
    expect(byCommand.hset).toBeUndefined();
    expect(byCommand.hdel).toBeUndefined();
    expect(byCommand.zadd).toBeUndefined();
  });

  it('pages through dead letters with filters, and through delayed jobs', async () => {
    const { queue } = await freshQueue<number>();
    const worker = closing(
      await queue.process(
        (job) => {
          throw new Error(job.data % 2 === 0 ? 'even rejected' : 'odd rejected');
        },
        { concurrency: 10 },
      ),
    );
    let dead = 0;
    worker.on('deadLettered', () => dead++);
    await queue.addBulk(Array.from({ length: 25 }, (_, i) => ({ name: i < 20 ? 'sync' : 'email', data: i, options: { attempts: 1 } })));
    await waitFor(() => dead === 25, 10_000, '25 dead letters');
    const seen: number[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await queue.listDead({ count: 10, ...(after ? { after } : {}) });
      seen.push(...page.jobs.map((j) => j.data));
      after = page.next;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const emails = await queue.listDead({ count: 100, name: 'email' });
    expect(emails.jobs.map((j) => j.data).sort()).toEqual([20, 21, 22, 23, 24]);
    expect(emails.next).toBeUndefined();
    const odd = await queue.listDead({ count: 100, errorIncludes: 'odd' });
    expect(odd.jobs.every((j) => j.data % 2 === 1)).toBe(true);
    expect(odd.jobs).toHaveLength(12);

    await queue.addBulk(Array.from({ length: 7 }, (_, i) => ({ name: 'later', data: i, options: { delayMs: 60_000 + i * 1000 } })));
    const first = await queue.listDelayed({ count: 5 });
    expect(first.total).toBe(7);
    expect(first.jobs.map((j) => j.data)).toEqual([0, 1, 2, 3, 4]);
    const rest = await queue.listDelayed({ offset: 5, count: 5 });
    expect(rest.jobs.map((j) => j.data)).toEqual([5, 6]);
    expect((rest.jobs[0]?.dueAt ?? 0) - Date.now()).toBeGreaterThan(60_000);
  });

  it('caps the dead-letter stream at exactly deadLetterMaxLen and frees the ids of dropped letters', async () => {
    const { queue } = await freshQueue<number>({ deadLetterMaxLen: 3 });
    const worker = closing(
      await queue.process(
        () => {
          throw new Error('no');
        },
        { concurrency: 1 },
      ),
    );
    let dead = 0;
    worker.on('deadLettered', () => dead++);
    for (let i = 0; i < 5; i++) {
      await queue.add('x', i, { attempts: 1, jobId: `job-${i}` });
      await waitFor(() => dead === i + 1, 5000, `dead ${i}`);
    }
    expect((await queue.counts()).dead).toBe(3);
    expect((await queue.peekDead(10)).map((d) => d.data)).toEqual([2, 3, 4]);
    // The dropped letters' ids are free again; the kept ones still taken.
    expect(await queue.getJob('job-0')).toBeUndefined();
    await worker.close(1000);
    expect((await queue.add('x', 0, { jobId: 'job-0' })).added).toBe(true);
    expect((await queue.add('x', 4, { jobId: 'job-4' })).added).toBe(false);
  });

  it('frees the job ids of jobs that maxLen trimmed from the stream', async () => {
    const { connection, queue } = await freshQueue<number>({ maxLen: 10 });
    await queue.addBulk(Array.from({ length: 300 }, (_, i) => ({ name: 'x', data: i, options: { jobId: `id-${i}` } })));
    const before = Number(await connection.send(['HLEN', queue.keys.ids], queue.keys.ids));
    expect(before).toBe(300);
    const { waiting } = await queue.counts();
    expect(waiting).toBeLessThan(300);
    // A worker's maintenance sweeps the ids of trimmed jobs (and runs the rest).
    const worker = closing(await queue.process(() => undefined, { visibilityTimeoutMs: 600, promoteIntervalMs: 50, concurrency: 20 }));
    let completed = 0;
    worker.on('completed', () => completed++);
    await waitFor(async () => Number(await connection.send(['HLEN', queue.keys.ids], queue.keys.ids)) === 0, 10_000, 'ids swept');
    expect(completed).toBe(waiting);
    expect((await queue.add('x', 0, { jobId: 'id-0' })).added).toBe(true);
  });

  it('the sweep of trimmed ids leaves the ids of live jobs alone: running, waiting, delayed', async () => {
    const { queue } = await freshQueue<string>({ maxLen: 1000 });
    const [gate, release] = latch();
    await queue.add('x', 'later', { jobId: 'later', delayMs: 60_000 });
    const worker = closing(await queue.process(() => gate, { visibilityTimeoutMs: 200, promoteIntervalMs: 50 }));
    const errors: Error[] = [];
    worker.on('error', (e) => errors.push(e));
    await queue.add('x', 'running', { jobId: 'running' });
    await waitFor(() => worker.running === 1, 5000, 'the job to run');
    await queue.add('x', 'waiting', { jobId: 'waiting' });
    // A sweep starts every visibility timeout: several pass meanwhile.
    await new Promise((r) => setTimeout(r, 700));
    expect(await queue.getJob('running')).toMatchObject({ state: 'active' });
    expect(await queue.getJob('waiting')).toMatchObject({ state: 'waiting' });
    expect(await queue.getJob('later')).toMatchObject({ state: 'delayed' });
    for (const jobId of ['running', 'waiting', 'later']) expect((await queue.add('x', 'again', { jobId })).added).toBe(false);
    expect(errors).toEqual([]);
    release();
  });

  it('rejects bad inspection input with ValidationError before sending anything; maxima are accepted at exactly their value', async () => {
    const { connection, queue } = await freshQueue();
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.getJob(''), 'id');
      await expectInvalid(() => queue.listDead({ count: MAX_PAGE + 1 }), 'count');
      await expectInvalid(() => queue.listDead({ count: 0 }), 'count');
      await expectInvalid(() => queue.listDead({ after: 'nope' }), 'after');
      await expectInvalid(() => queue.listDelayed({ count: MAX_PAGE + 1 }), 'count');
      await expectInvalid(() => queue.listDelayed({ offset: -1 }), 'offset');
    });
    expect(total).toBe(0);
    expect((await queue.listDead({ count: MAX_PAGE })).jobs).toEqual([]);
    expect((await queue.listDelayed({ count: MAX_PAGE })).jobs).toEqual([]);
    expect(() => new StreamQueue({ connection, name: 'q', keepCompleted: { count: MAX_RETAINED } })).not.toThrow();
    await expectInvalid(
      () => new StreamQueue({ connection, name: 'q', keepCompleted: { count: MAX_RETAINED + 1 } }),
      'keepCompleted.count',
    );
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', keepCompleted: { ageMs: -1 } }), 'keepCompleted.ageMs');
    await expectInvalid(() => new StreamQueue({ connection, name: 'q', deadLetterMaxLen: -1 }), 'deadLetterMaxLen');
  });
});

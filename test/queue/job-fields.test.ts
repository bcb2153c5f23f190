// What a job carries, as getJob and a handler see it: only the fields it was given or earned
// (a plain job has no priority, group, last error, due time), the ones it was given intact,
// and times on the right side of now.
import { describe, expect, it } from 'vitest';
import type { Serializer } from '../../src/index.js';
import { type Job, StreamQueue, type Worker } from '../../src/queue/index.js';
import { closeAfterAll, driver, target, testConnection } from '../harness/redis.js';
import { closeAfterTest, freshQueue, latch, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return closeAfterTest(worker, () => worker.close(1000));
}

// Strings stored as they are: '' is a value it reads back, unlike JSON's.
const plainText: Serializer = {
  serialize: (value) => String(value),
  deserialize: <T>(raw: string) => raw as T,
};

describe(`Job fields on ${target} via ${driver}`, () => {
  it('a plain job has no priority, group, last error or due time, neither in getJob nor in its handler', async () => {
    const { queue } = await freshQueue<string>();
    const { id } = await queue.add('refill', 'rx-1');
    const waiting = await queue.getJob(id);
    expect(waiting).toMatchObject({ state: 'waiting', name: 'refill', data: 'rx-1' });
    for (const field of ['priority', 'group', 'lastError', 'dueAt', 'claimedAt', 'consumer']) expect(waiting).not.toHaveProperty(field);
    const seen: Job<string>[] = [];
    closing(await queue.process((job) => void seen.push(job)));
    await waitFor(() => seen.length === 1, 5000, 'the job to run');
    expect(seen[0]).toMatchObject({ id, name: 'refill', data: 'rx-1', attemptsMade: 0 });
    expect(seen[0]).not.toHaveProperty('priority');
    expect(seen[0]).not.toHaveProperty('group');
  });

  it("a plain job's stream entry holds only its name, data and tries: nothing it was not given", async () => {
    // Entries are kept small (one letter per field): an empty field is bytes on every entry.
    const { connection, queue } = await freshQueue<string>();
    const { stream } = queue.keys;
    await queue.add('refill', 'rx-1');
    const entries = (await connection.send(['XRANGE', stream, '-', '+'], stream)) as [string, string[]][];
    expect(entries.map(([, fields]) => fields)).toEqual([['n', 'refill', 'd', '"rx-1"', 'm', '3']]);
  });

  it("a job with its own id keeps it through a retry: its handler, its dead letter and the letter's fields", async () => {
    const { connection, queue } = await freshQueue<string>();
    const seen: string[] = [];
    const worker = closing(
      await queue.process(
        (job) => {
          seen.push(job.id);
          throw new Error('pharmacy closed');
        },
        { backoff: { baseMs: 0 } },
      ),
    );
    let dead = 0;
    worker.on('deadLettered', () => dead++);
    await queue.add('refill', 'rx-4', { jobId: 'refill:rx-4', attempts: 2 });
    await waitFor(() => dead === 1, 5000, 'a dead letter');
    expect(seen).toEqual(['refill:rx-4', 'refill:rx-4']);
    expect((await queue.listDead({ count: 10 })).jobs.map((j) => j.id)).toEqual(['refill:rx-4']);
    // Still the caller's id ('i'), not one the queue gave ('j'), after the retry's new entry.
    const letters = (await connection.send(['XRANGE', queue.keys.dead, '-', '+'], queue.keys.dead)) as [string, string[]][];
    const fields = letters[0]?.[1] ?? [];
    expect(fields[fields.indexOf('i') + 1]).toBe('refill:rx-4');
    expect(fields).not.toContain('j');
  });

  it('a job a rate limit sent back to wait counts its deferrals, not as used tries', async () => {
    const { connection, queue } = await freshQueue<string>({ groupRateLimit: { limit: 1, windowMs: 60_000 } });
    const ran: string[] = [];
    closing(await queue.process((job) => void ran.push(job.data), { concurrency: 2, promoteIntervalMs: 50 }));
    await queue.add('sync', 'first', { group: 'ward-1' });
    await queue.add('sync', 'second', { group: 'ward-1', jobId: 'sync:second' });
    await waitFor(async () => (await queue.getJob('sync:second'))?.state === 'delayed', 5000, 'the second job to be deferred');
    expect(ran).toEqual(['first']);
    expect(await queue.getJob('sync:second')).toMatchObject({ state: 'delayed', attemptsMade: 0, group: 'ward-1' });
    // Its fields while it waits: the deferral count ('r') tells its next admission it waited already.
    const { payloads, delayed } = queue.keys;
    // None while the job is between the delayed set and the stream (promoted, not yet deferred again).
    const fields = async () => JSON.parse(String(await connection.send(['HGET', payloads, 'sync:second'], payloads))) as string[] | null;
    const deferrals = async () => {
      const f = (await fields()) ?? [];
      return f.includes('r') ? f[f.indexOf('r') + 1] : undefined;
    };
    expect(await deferrals()).toBe('1');
    expect(await fields()).not.toContain('a');
    // Due now, as if its wait were over while the group's window is still full: deferred once more.
    await connection.send(['ZADD', delayed, 'XX', 0, 'sync:second'], delayed);
    await waitFor(async () => (await deferrals()) === '2', 5000, 'a second deferral');
    expect(ran).toEqual(['first']);
    expect(await queue.getJob('sync:second')).toMatchObject({ state: 'delayed', attemptsMade: 0 });
  });

  it('a job keeps its group and priority: getJob shows them while it waits, its handler gets them', async () => {
    const { queue } = await freshQueue<string>({ priorities: true });
    const { id } = await queue.add('sync', 'ward-7 stock', { priority: 3, group: 'ward-7' });
    const prioritized = await queue.getJob(id);
    expect(prioritized).toMatchObject({ state: 'prioritized', priority: 3, group: 'ward-7' });
    // Not in the stream yet, and not waiting for a time: no entry time, no due time.
    expect(prioritized).not.toHaveProperty('enqueuedAt');
    expect(prioritized).not.toHaveProperty('dueAt');
    const seen: Job<string>[] = [];
    closing(await queue.process((job) => void seen.push(job)));
    await waitFor(() => seen.length === 1, 5000, 'the job to run');
    expect(seen[0]).toMatchObject({ id, priority: 3, group: 'ward-7' });
  });

  it('a delayed job has a due time and no entry time', async () => {
    const { queue } = await freshQueue<string>();
    const { id } = await queue.add('remind', 'later', { delayMs: 60_000, group: 'ward-2' });
    const delayed = await queue.getJob(id);
    expect(delayed).toMatchObject({ state: 'delayed', group: 'ward-2' });
    expect(delayed?.dueAt).toBeGreaterThan(Date.now());
    expect(delayed).not.toHaveProperty('enqueuedAt');
  });

  it('an active job was claimed in the past: claimedAt trails now by the time it has run', async () => {
    const { queue } = await freshQueue<string>();
    const [gate, release] = latch();
    let startedAt = 0;
    closing(
      await queue.process(async () => {
        startedAt = Date.now();
        await gate;
      }),
    );
    const { id } = await queue.add('refill', 'slow');
    await waitFor(() => startedAt > 0, 5000, 'the job to start');
    // Let it run a while, so that the time since its claim is well above clock noise.
    await waitFor(() => Date.now() - startedAt >= 500, 5000, 'half a second of running');
    const active = await queue.getJob(id);
    const now = Date.now();
    expect(active?.state).toBe('active');
    expect(active?.claimedAt).toBeLessThanOrEqual(now - 400);
    expect(active?.claimedAt).toBeGreaterThan(now - 10_000);
    release();
  });

  it('a dead job died now: deadAt is the time of its dead-letter entry', async () => {
    const { queue } = await freshQueue<string>();
    const before = Date.now();
    const worker = closing(
      await queue.process(() => {
        throw new Error('pharmacy closed');
      }),
    );
    let dead = 0;
    worker.on('deadLettered', () => dead++);
    await queue.add('refill', 'rx-9', { attempts: 1 });
    await waitFor(() => dead === 1, 5000, 'a dead letter');
    const { jobs } = await queue.listDead({ count: 10 });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ data: 'rx-9', error: 'pharmacy closed' });
    // Entry ids are Redis time; allow a little skew against this process's clock.
    expect(jobs[0]?.deadAt).toBeGreaterThanOrEqual(before - 1000);
    expect(jobs[0]?.deadAt).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('with a serializer that reads back empty strings, a job without progress or return value shows none', async () => {
    const connection = await testConnection({ serializer: plainText });
    const queue = new StreamQueue<string>({ connection, name: 'jobs', keepCompleted: { count: 10 } });
    const { id } = await queue.add('refill', 'rx-3');
    expect(await queue.getJob(id)).toMatchObject({ state: 'waiting', data: 'rx-3', progress: undefined });
    closing(await queue.process(() => undefined));
    await waitFor(async () => (await queue.getJob(id))?.state === 'completed', 5000, 'completion');
    const completed = await queue.getJob(id);
    expect(completed).toMatchObject({ state: 'completed', data: 'rx-3' });
    expect(completed?.returnValue).toBeUndefined();
  });
});

// What add and addBulk resolve for each job: its id (the stream entry's, the caller's, or one
// drawn for a job not in the stream yet), whether it was added, and whether it waits delayed.
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';
import { freshQueue } from './helpers.js';

const entryId = /^\d+-\d+$/;

describe(`What adding a job resolves on ${target} via ${driver}`, () => {
  it('a plain job (one XADD) and one added by script on a queue with events: its entry id, added, not delayed', async () => {
    const { queue } = await freshQueue();
    const plain = await queue.add('sync', 1);
    expect(plain).toEqual({ id: expect.stringMatching(entryId), added: true, delayed: false });
    const { queue: withEvents } = await freshQueue({ events: true });
    const scripted = await withEvents.add('sync', 1);
    expect(scripted).toEqual({ id: expect.stringMatching(entryId), added: true, delayed: false });
    expect(await withEvents.getJob(scripted.id)).toMatchObject({ state: 'waiting' });
  });

  it("a job with the caller's id: that id, added the first time, a duplicate after", async () => {
    const { queue } = await freshQueue();
    expect(await queue.add('sync', 1, { jobId: 'sync:p-1' })).toEqual({ id: 'sync:p-1', added: true, delayed: false });
    expect(await queue.add('sync', 2, { jobId: 'sync:p-1' })).toEqual({ id: 'sync:p-1', added: false, delayed: false });
    expect(await queue.add('sync', 3, { jobId: 'sync:p-1', delayMs: 60_000 })).toEqual({ id: 'sync:p-1', added: false, delayed: false });
  });

  it('a delayed job: an id drawn for it, added, delayed; a moment in the past runs at once', async () => {
    const { queue } = await freshQueue();
    const later = await queue.add('remind', 1, { delayMs: 60_000 });
    expect(later).toEqual({ id: expect.any(String), added: true, delayed: true });
    expect(later.id).not.toMatch(entryId);
    expect(await queue.getJob(later.id)).toMatchObject({ state: 'delayed', data: 1 });
    const at = await queue.add('remind', 2, { runAt: new Date(Date.now() + 60_000) });
    expect(at).toMatchObject({ added: true, delayed: true });
    const past = await queue.add('remind', 3, { runAt: Date.now() - 60_000 });
    expect(past).toEqual({ id: expect.stringMatching(entryId), added: true, delayed: false });
    expect(await queue.counts()).toMatchObject({ waiting: 1, delayed: 2 });
  });

  it('a job of a queue with priorities: an id drawn for it, added, not delayed', async () => {
    const { queue } = await freshQueue({ priorities: true });
    const job = await queue.add('triage', 1, { priority: 3 });
    expect(job).toEqual({ id: expect.any(String), added: true, delayed: false });
    expect(job.id).not.toMatch(entryId);
    expect(await queue.getJob(job.id)).toMatchObject({ state: 'prioritized', priority: 3 });
  });

  it('addBulk resolves each job in order', async () => {
    const { queue } = await freshQueue();
    await queue.add('sync', 0, { jobId: 'taken' });
    const results = await queue.addBulk([
      { name: 'sync', data: 1, options: { jobId: 'taken' } },
      { name: 'sync', data: 2 },
      { name: 'sync', data: 3, options: { delayMs: 60_000 } },
      { name: 'sync', data: 4, options: { jobId: 'fresh' } },
    ]);
    expect(results).toEqual([
      { id: 'taken', added: false, delayed: false },
      { id: expect.stringMatching(entryId), added: true, delayed: false },
      { id: expect.any(String), added: true, delayed: true },
      { id: 'fresh', added: true, delayed: false },
    ]);
    expect(await queue.getJob(results[2]?.id as string)).toMatchObject({ state: 'delayed', data: 3 });
  });
});

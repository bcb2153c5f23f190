// A job whose data the serializer cannot read (written by another version of the app, or by
// hand) never reaches the handler: it fails once with the serializer's error and goes straight
// to the dead-letter stream, whatever its tries, as the worker's `failed` and `deadLettered`
// events tell.
import { describe, expect, it } from 'vitest';
import { SerializationError } from '../../src/index.js';
import type { Job, Worker } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(1000));
}

describe(`A job with unreadable data on ${target} via ${driver}`, () => {
  it('fails once with the serializer error, as a job of one try, and is dead-lettered at once', async () => {
    const { connection, queue } = await freshQueue<string>();
    await queue.ensureGroup();
    const { stream } = queue.keys;
    // Five tries on the entry, and data that is not JSON.
    const entryId = String(await connection.send(['XADD', stream, '*', 'n', 'refill', 'd', '{not json', 'm', '5'], stream));
    let handled = 0;
    const worker = closing(await queue.process(() => void handled++, { backoff: { baseMs: 0 } }));
    const failed: [Job<string>, Error][] = [];
    const dead: [Job<string>, Error][] = [];
    const retrying: unknown[] = [];
    worker.on('failed', (job, error) => failed.push([job, error]));
    worker.on('deadLettered', (job, error) => dead.push([job, error]));
    worker.on('retrying', (job) => retrying.push(job));
    await waitFor(() => dead.length === 1, 5000, 'the dead letter');
    const unreadable = { id: entryId, name: 'refill', data: undefined, attemptsMade: 0, maxAttempts: 1, entryId };
    expect(failed).toHaveLength(1);
    expect(failed[0]?.[0]).toStrictEqual(unreadable);
    expect(failed[0]?.[1]).toBeInstanceOf(SerializationError);
    expect(dead[0]?.[0]).toStrictEqual(unreadable);
    expect(dead[0]?.[1]).toBe(failed[0]?.[1]);
    expect(retrying).toEqual([]);
    expect(handled).toBe(0);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 1 });
    // The letter keeps the data as it was, with the one try it used and the serializer's message.
    const letters = (await connection.send(['XRANGE', queue.keys.dead, '-', '+'], queue.keys.dead)) as [string, string[]][];
    const fields = letters[0]?.[1] ?? [];
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    expect(field('d')).toBe('{not json');
    expect(field('a')).toBe('1');
    expect(field('e')).toBe(failed[0]?.[1].message);
  });

  // Entries a dead worker (`ghost`) fetched and never acknowledged: one readable, one not.
  async function heldByGhost(maxAttempts: number) {
    const { connection, queue } = await freshQueue<string>();
    await queue.ensureGroup();
    const { stream } = queue.keys;
    await queue.add('refill', 'rx-1', { attempts: maxAttempts });
    await connection.send(['XADD', stream, '*', 'n', 'refill', 'd', '{not json', 'm', String(maxAttempts)], stream);
    await connection.send(['XREADGROUP', 'GROUP', queue.group, 'ghost', 'COUNT', 10, 'STREAMS', stream, '>'], stream);
    return queue;
  }

  it('taken over from a dead worker, it is left out of the stalled event, then fails alone', async () => {
    const queue = await heldByGhost(3);
    const ran: string[] = [];
    const worker = closing(await queue.process((job) => void ran.push(job.data), { visibilityTimeoutMs: 200, promoteIntervalMs: 50 }));
    const stalled: Job<string>[][] = [];
    const dead: Job<string>[] = [];
    worker.on('stalled', (jobs) => stalled.push(jobs));
    worker.on('deadLettered', (job) => dead.push(job));
    await waitFor(() => dead.length === 1 && ran.length === 1, 5000, 'the reclaim');
    // One reclaim per free slot: the unreadable entry's own reclaim reports no job.
    expect(stalled.flat().map((job) => job?.data)).toEqual(['rx-1']);
    expect(ran).toEqual(['rx-1']);
    expect(dead[0]?.data).toBeUndefined();
  });

  it('dead-lettered by the reclaim (its last try stalled), it fires no deadLettered event; the readable one does', async () => {
    const queue = await heldByGhost(1);
    const worker = closing(await queue.process(() => undefined, { visibilityTimeoutMs: 200, promoteIntervalMs: 50 }));
    const dead: (Job<string> | undefined)[] = [];
    const errors: Error[] = [];
    worker.on('deadLettered', (job, error) => {
      dead.push(job);
      errors.push(error);
    });
    await waitFor(async () => (await queue.counts()).dead === 2, 5000, 'both dead-lettered');
    await waitFor(() => dead.length > 0, 1000, 'the event');
    expect(dead.map((job) => job?.data)).toEqual(['rx-1']);
    expect(errors[0]?.message).toMatch(/^stalled/);
  });
});

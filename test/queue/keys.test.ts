// The queue's keys and control channel are named as docs/queue.md "Keys and TTLs" lists them:
// operators find, watch and size them by those names, and the eviction check guards them.
import { describe, expect, it } from 'vitest';
import { StreamQueue } from '../../src/queue/index.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { driver, target } from '../harness/redis.js';
import { freshQueue, waitFor } from './helpers.js';

describe(`Queue keys on ${target} via ${driver}`, () => {
  it('names every key of a queue with its documented suffix, all under the queue name as hash tag', async () => {
    const { queue } = await freshQueue({ name: 'pharmacy' });
    const { stream } = queue.keys;
    expect(stream).toMatch(/:queue:\{pharmacy\}:stream$/);
    const base = stream.slice(0, -'stream'.length);
    expect(queue.keys).toEqual({
      stream,
      delayed: `${base}delayed`,
      dead: `${base}dead`,
      ids: `${base}ids`,
      payloads: `${base}payloads`,
      prioritized: `${base}prioritized`,
      prioritySeq: `${base}prioritized-seq`,
      signal: `${base}signal`,
      active: `${base}active`,
      paused: `${base}paused`,
      progress: `${base}progress`,
      events: `${base}events`,
      completed: `${base}completed`,
      completedAt: `${base}completed-at`,
      schedules: `${base}schedules`,
      scheduleDue: `${base}schedule-due`,
    });
  });

  it('announces pause and resume on the documented control channel, <stream>:control', async () => {
    const { connection, queue } = await freshQueue();
    const heard: string[] = [];
    const subscriber = await connection.subscriber();
    const channel = `${queue.keys.stream}:control`;
    const onMessage = (message: string) => void heard.push(message);
    await subscriber.subscribe(channel, onMessage);
    try {
      await queue.pause();
      await queue.resume();
      await waitFor(() => heard.length === 2, 5000, 'pause and resume on the control channel');
      expect(heard).toEqual(['pause', 'resume']);
    } finally {
      await subscriber.unsubscribe(channel, onMessage);
    }
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the queue at risk', async () => {
    // An evicted stream or delayed set loses jobs without a trace.
    expect(await modulesAtRiskAfter((connection) => new StreamQueue({ connection, name: 'jobs' }))).toEqual(['queue']);
  });
});

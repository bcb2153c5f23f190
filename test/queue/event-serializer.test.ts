// QueueEvents decode values with the connection's serializer: with a custom one, a handler that
// returned nothing still completes with `returnValue` undefined, not what the serializer makes of
// an empty string.
import { describe, expect, it } from 'vitest';
import type { Serializer } from '../../src/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

// Strings as they are: deserialize('') is '', not an error.
const plainText: Serializer = {
  serialize: (value) => String(value),
  deserialize: <T>(raw: string) => raw as T,
};

describe(`Queue events with a custom serializer on ${target} via ${driver}`, () => {
  it('completed carries the decoded value, or undefined when the handler returned nothing', async () => {
    const connection = await testConnection({ serializer: plainText });
    const { queue } = await freshQueue<string>({ connection, events: true });
    const listener = closeAfterTest(queue.events());
    const completed: [string, unknown][] = [];
    listener.on('completed', (e) => completed.push([e.jobId, e.returnValue]));
    await listener.start();
    const worker = await queue.process((job) => (job.data === 'quiet' ? undefined : `done ${job.data}`));
    closeAfterTest(worker, () => worker.close(1000));
    const quiet = await queue.add('x', 'quiet');
    const loud = await queue.add('x', 'loud');
    await waitFor(() => completed.length === 2, 10_000, 'two completed events');
    expect(new Map(completed)).toEqual(
      new Map<string, unknown>([
        [quiet.id, undefined],
        [loud.id, 'done loud'],
      ]),
    );
  });
});

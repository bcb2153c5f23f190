// A worker's start: a control channel it may not subscribe to fails process() (a worker that
// could not hear pause and resume would run on through a pause), and leaves no connection open.
import { describe, expect, it } from 'vitest';
import { StreamQueue } from '../../src/queue/index.js';
import { connectionWithoutChannels, privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';
import { waitFor } from './helpers.js';

const server = privateServers();

// A private server: the test takes channel rights away from a user of its own.
describe.runIf(target === 'standalone')(`Worker start via ${driver}`, () => {
  it('a worker that may not subscribe to the control channel fails to start and leaves no connection open', async () => {
    const redis = await server();
    const admin = await privateConnection(redis);
    const side = await connectionWithoutChannels(redis, admin.connection);
    const ofUser = async () =>
      String(await admin.connection.send(['CLIENT', 'LIST']))
        .split('\n')
        .filter((line) => line.includes(' user=no-channels ')).length;
    try {
      const queue = new StreamQueue<number>({ connection: side.connection, name: 'jobs' });
      await expect(queue.process(() => undefined)).rejects.toThrow(/NOPERM|permission/i);
      // Only the side connection itself: the reader's own (and its subscriber) were closed.
      await waitFor(async () => (await ofUser()) === 1, 10_000, 'the reader connections closed');
      // Allowed to listen, the same user starts a worker.
      await side.allowChannels();
      const worker = await queue.process(() => undefined);
      expect(await worker.close(1000)).toEqual({ abandoned: 0 });
    } finally {
      side.close();
      admin.close();
    }
  });
});

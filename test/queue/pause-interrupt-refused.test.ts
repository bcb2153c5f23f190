// The queue's pause reaches a worker blocked in a read: ending that read (CLIENT UNBLOCK) can
// be refused (hosted Redis often refuses CLIENT commands). The worker still pauses, and reports
// the refusal as an `error` event instead of losing it.
import { describe, expect, it } from 'vitest';
import { privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, queueOfRefusableUser, waitFor } from './helpers.js';

const server = privateServers();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A private server: the test takes the right to run CLIENT UNBLOCK away from a user of its own.
describe.runIf(target === 'standalone')(`A pause whose unblock Redis refuses (${driver})`, () => {
  it('still pauses the worker and is reported as an error event', async () => {
    const { admin, queue } = await queueOfRefusableUser(await server(), 'paused');
    const seen: unknown[] = [];
    const worker = closeAfterTest(await queue.process((job) => void seen.push(job.data), { blockMs: 10_000 }));
    const errors: Error[] = [];
    worker.on('error', (e) => errors.push(e));
    // Idle: blocked in its read of the stream.
    await sleep(200);
    await admin.send(['ACL', 'SETUSER', 'acker', '-client|unblock']);
    expect(await queue.pause()).toBe(true);
    await waitFor(() => errors.length > 0, 5000, 'the refused unblock reported');
    expect(errors[0]?.message).toMatch(/NOPERM|permission/i);
    expect(worker.isPaused).toBe(true);
    await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
    await queue.resume();
    await queue.add('x', 'rx-1');
    await waitFor(() => seen.length === 1, 15_000, 'the job after resume');
  });
});

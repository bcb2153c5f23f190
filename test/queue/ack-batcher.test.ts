// Acknowledgements Redis refuses: retried until they go through, waited for by close(), and
// given up on (left pending for another worker) once close() gave up. Redis refuses them for
// real: the worker's user loses the right to run scripts (ACL), which fails the ack script at
// once and, unlike a frozen server, never runs it later. An ack call still in flight (a
// busy server holds it) counts as not done: close() waits for it, or counts its jobs abandoned.
import { describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../scripts/lib/redis-servers.js';
import type { RedisConnection } from '../../src/index.js';
import type { CloseResult, StreamQueue, Worker } from '../../src/queue/index.js';
import { driver } from '../harness/redis.js';
import { closeAfterTest, freshQueue, latch, queueOfRefusableUser, waitFor } from './helpers.js';

// Closed when the test ends, however it ends.
function closeWhenDone<T>(worker: Worker<T>, timeoutMs: number): Worker<T> {
  return closeAfterTest(worker, () => worker.close(timeoutMs));
}

interface Setup {
  queue: StreamQueue<string>;
  admin: RedisConnection;
  denyScripts: () => Promise<void>;
  allowScripts: () => Promise<void>;
  pending: () => Promise<number>;
}

// A queue on a private server, used as a user whose right to run scripts the test can take away.
async function setup(server: RedisServer): Promise<Setup> {
  const { admin, queue } = await queueOfRefusableUser(server, 'acks');
  const { stream } = queue.keys;
  return {
    queue,
    admin,
    denyScripts: async () => void (await admin.send(['ACL', 'SETUSER', 'acker', '-evalsha', '-eval'])),
    allowScripts: async () => void (await admin.send(['ACL', 'SETUSER', 'acker', '+@all'])),
    pending: async () => {
      const summary = (await admin.send(['XPENDING', stream, queue.group])) as unknown[];
      return Number(summary[0]);
    },
  };
}

describe(`Acknowledgements Redis refuses (${driver})`, () => {
  it('are retried until they go through: each job completes once, the refusal is reported', async () => {
    const server = await startRedis();
    try {
      const { queue, denyScripts, allowScripts, pending } = await setup(server);
      const [gate, release] = latch();
      const worker = closeWhenDone(await queue.process(() => gate, { concurrency: 3, blockMs: 100 }), 1000);
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      let completed = 0;
      worker.on('completed', () => completed++);
      await queue.addBulk(['rx-1', 'rx-2', 'rx-3'].map((data) => ({ name: 'refill', data })));
      await waitFor(() => worker.running === 3, 5000, 'three jobs running');
      await denyScripts();
      release();
      await waitFor(() => errors.length >= 2, 10_000, 'refused acks reported');
      expect(completed).toBe(0);
      expect(await pending()).toBe(3);
      await allowScripts();
      await waitFor(() => completed === 3, 10_000, 'the acks to go through');
      expect(await pending()).toBe(0);
      expect(await worker.close(1000)).toEqual({ abandoned: 0 });
      expect(completed).toBe(3);
    } finally {
      await server.stop();
    }
  });

  it('are retried with a growing backoff: a handful of calls in 3 s, not one after another', async () => {
    const server = await startRedis();
    try {
      const { queue, denyScripts, allowScripts } = await setup(server);
      // No maintenance pass meanwhile: every error is a refused ack.
      const worker = closeWhenDone(await queue.process(() => 'done', { blockMs: 100, promoteIntervalMs: 60_000 }), 1000);
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      await denyScripts();
      await queue.add('refill', 'rx-1');
      await waitFor(() => errors.length >= 1, 10_000, 'a refused ack');
      const started = Date.now();
      const before = errors.length;
      await waitFor(() => Date.now() - started >= 3000, 10_000, 'three seconds of refusals');
      const refused = errors.length - before;
      // Delays of 50 ms doubling up to 2 s, each 50 to 100 % of that: 5 to 8 calls in 3 s.
      expect(refused).toBeGreaterThanOrEqual(3);
      expect(refused).toBeLessThanOrEqual(12);
      await allowScripts();
    } finally {
      await server.stop();
    }
  });

  it('close() waits for acks being retried, and ends with nothing abandoned once they went through', async () => {
    const server = await startRedis();
    try {
      const { queue, denyScripts, allowScripts, pending } = await setup(server);
      const worker = closeWhenDone(await queue.process(() => 'done', { blockMs: 100 }), 1000);
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      await denyScripts();
      await queue.add('refill', 'rx-1');
      await waitFor(() => errors.length >= 1, 10_000, 'a refused ack');
      const closing = worker.close(20_000);
      // close() must still be waiting for the ack when scripts are allowed again.
      let closed = false;
      void closing.then(() => {
        closed = true;
      });
      const before = errors.length;
      await waitFor(() => errors.length > before, 10_000, 'another refused ack, after close() began');
      expect(closed).toBe(false);
      await allowScripts();
      expect(await closing).toEqual({ abandoned: 0 });
      expect(await pending()).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('once close() gave up on them, they stay pending and another worker runs the jobs again', async () => {
    const server = await startRedis();
    try {
      const { queue, denyScripts, allowScripts, pending } = await setup(server);
      const first = closeWhenDone(await queue.process(() => 'done', { blockMs: 100 }), 0);
      const errors: Error[] = [];
      first.on('error', (e) => errors.push(e));
      await denyScripts();
      await queue.add('refill', 'rx-1');
      await waitFor(() => errors.length >= 1, 10_000, 'a refused ack');
      expect(await first.close(100)).toEqual({ abandoned: 1 });
      await allowScripts();
      // The first worker's backoff is at most 2 s: had it kept retrying, it would have acked the
      // job long before the second worker may reclaim it (after 5 s idle).
      const reran: string[] = [];
      closeWhenDone(await queue.process((job) => void reran.push(job.data), { blockMs: 100, visibilityTimeoutMs: 5000 }), 1000);
      await waitFor(() => reran.length === 1, 20_000, 'the job to run again');
      expect(reran).toEqual(['rx-1']);
      await waitFor(async () => (await pending()) === 0, 5000, 'the second ack');
    } finally {
      await server.stop();
    }
  });
});

describe(`Acknowledgements held up by a busy server (${driver})`, () => {
  // Keeps the server busy for 1.5 s: commands sent meanwhile wait, then run. Valkey's TIME
  // stands still inside a script, so there the loop reads os.clock (CPU time, which Redis 7.0's
  // sandbox does not offer: there it reads TIME).
  const BUSY = [
    'local ok, clock = pcall(function() return os.clock end)',
    "local function now() if ok then return clock() * 1000000 end local t = redis.call('TIME') return t[1] * 1000000 + t[2] end",
    'local s = now() repeat until now() - s > 1500000',
  ].join('\n');

  // Two jobs completed whose one ack call is in flight, held up by a busy server.
  // Two jobs completed whose one ack call is in flight, held up by a busy server; with `refuse`,
  // the server then refuses it (the worker's user loses the right to run scripts right after the
  // busy script, before the ack call runs).
  async function acksInFlight(
    server: RedisServer,
    refuse = false,
  ): Promise<{ worker: Worker<string>; busy: Promise<unknown>; connection: RedisConnection }> {
    const { admin, connection, queue } = await queueOfRefusableUser(server, 'held');
    const [gate, release] = latch();
    // No maintenance pass during the test: none of its calls is held up with the ack.
    const worker = closeWhenDone(await queue.process(() => gate, { concurrency: 2, blockMs: 100, promoteIntervalMs: 60_000 }), 1000);
    await queue.addBulk(['rx-1', 'rx-2'].map((data) => ({ name: 'refill', data })));
    await waitFor(() => worker.running === 2, 5000, 'two jobs running');
    // No read in flight: close() then sends nothing before it counts what it abandons.
    await worker.pause();
    const busy = admin.send(['EVAL', BUSY, 0]);
    if (refuse) void admin.send(['ACL', 'SETUSER', 'acker', '-evalsha', '-eval']);
    // The script reaches the server (local socket) long before the handlers' ack does.
    await new Promise((r) => setTimeout(r, 200));
    release();
    await waitFor(() => worker.running === 0, 5000, 'both handlers to return');
    // The batcher sends its call one event-loop turn after the jobs complete.
    await new Promise(setImmediate);
    await new Promise(setImmediate);
    return { worker, busy, connection };
  }

  it('an ack call refused after close() gave up on it is not reported and not retried', async () => {
    const server = await startRedis();
    try {
      const { worker, busy, connection } = await acksInFlight(server, true);
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      expect(await worker.close(0)).toEqual({ abandoned: 2 });
      await busy;
      // Replies come in order on a connection: once this one is back, the refusal was handled.
      await connection.send(['PING']);
      await new Promise(setImmediate);
      expect(errors).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('close() without waiting counts the jobs of an ack call still in flight as abandoned', async () => {
    const server = await startRedis();
    try {
      const { worker, busy } = await acksInFlight(server);
      expect(await worker.close(0)).toEqual({ abandoned: 2 });
      await busy;
    } finally {
      await server.stop();
    }
  });

  it('close() waits for an ack call in flight, and then has abandoned nothing', async () => {
    const server = await startRedis();
    try {
      const { worker, busy } = await acksInFlight(server);
      expect(await worker.close(20_000)).toEqual({ abandoned: 0 });
      await busy;
    } finally {
      await server.stop();
    }
  });

  it('a job completing as close() gives up stays pending for another worker: its ack is not sent behind close()', async () => {
    const { queue } = await freshQueue<string>();
    let closing: Promise<CloseResult> | undefined;
    // The handler starts close(0) and returns: the job completes while close() counts what it abandons.
    const worker: Worker<string> = closeWhenDone(
      await queue.process(
        () => {
          closing = worker.close(0);
          return 'done';
        },
        { blockMs: 100, visibilityTimeoutMs: 1000 },
      ),
      0,
    );
    await queue.add('refill', 'rx-1');
    await waitFor(() => closing !== undefined, 5000, 'the job to run');
    expect(await closing).toEqual({ abandoned: 1 });
    const reran: string[] = [];
    closeWhenDone(await queue.process((job) => void reran.push(job.data), { blockMs: 100, visibilityTimeoutMs: 1000 }), 1000);
    await waitFor(() => reran.length === 1, 10_000, 'another worker to run the job again');
  });
});

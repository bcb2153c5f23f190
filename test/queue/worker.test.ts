import { describe, expect, it } from 'vitest';
import { RedisConnection, ValidationError } from '../../src/index.js';
import { type Job, StreamQueue, Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { freshQueue, latch, waitFor } from './helpers.js';

function closing<T>(worker: Worker<T>): Worker<T> {
  closeAfterAll({ close: () => worker.close(1000) });
  return worker;
}

describe(`Worker on ${target} via ${driver}`, () => {
  it('runs every job once with concurrency and empties the stream', async () => {
    const { queue } = await freshQueue<{ n: number }>();
    await queue.addBulk(Array.from({ length: 200 }, (_, n) => ({ name: 'sync', data: { n } })));
    const seen: number[] = [];
    let running = 0;
    let peak = 0;
    const worker = closing(
      await queue.process(
        async (job) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 2));
          seen.push(job.data.n);
          running--;
        },
        { concurrency: 8 },
      ),
    );
    let completed = 0;
    worker.on('completed', () => completed++);
    await waitFor(() => completed === 200, 15_000, '200 completions');
    expect(new Set(seen).size).toBe(200);
    expect(seen).toHaveLength(200);
    expect(peak).toBeLessThanOrEqual(8);
    expect(peak).toBeGreaterThan(1);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('fetch and ack cost a few commands per batch, not per job', async () => {
    const { connection, queue } = await freshQueue();
    const worker = closing(await queue.process(() => undefined, { concurrency: 100, promoteIntervalMs: 60_000 }));
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.add('warm', 0);
    await waitFor(() => completed === 1);
    await new Promise((r) => setTimeout(r, 50));
    const jobs = Array.from({ length: 100 }, (_, i) => ({ name: 'x', data: i }));
    const { byCommand, total } = await countCommands(connection, async () => {
      await queue.addBulk(jobs);
      await waitFor(() => completed === 101);
    });
    // addBulk: evalsha + 100 xadd. Fetch: a handful of XREADGROUP calls. Ack: evalsha + xack + xdel per batch.
    expect(byCommand.xadd).toBe(100);
    expect(byCommand.xreadgroup).toBeLessThanOrEqual(10);
    expect(byCommand.xack).toBeLessThanOrEqual(10);
    expect(byCommand.xack).toBe(byCommand.xdel);
    expect(total / 100).toBeLessThan(1.5);
  });

  it('one job alone costs 5 commands: XADD, XREADGROUP and one ack script (XACK + XDEL)', async () => {
    const { connection, queue } = await freshQueue();
    // The worker's first maintenance pass (the promote script, the module's only ZRANGEBYSCORE)
    // runs right after start; on a loaded machine it can come late, so wait for it to be over.
    const promotes = async () => {
      let calls = 0;
      for (const node of await connection.client.primaries()) {
        calls += Number(/cmdstat_zrangebyscore:calls=(\d+)/.exec(String(await node.send(['INFO', 'commandstats'])))?.[1] ?? 0);
      }
      return calls;
    };
    const before = await promotes();
    const worker = closing(await queue.process(() => undefined, { promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 }));
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.add('warm', 0);
    await waitFor(() => completed === 1);
    await waitFor(async () => (await promotes()) > before, 10_000, 'the first promote pass');
    await new Promise((r) => setTimeout(r, 100));
    const { byCommand, total } = await countCommands(connection, async () => {
      await queue.add('x', 1);
      await waitFor(() => completed === 2);
    });
    // A background promote pass (evalsha + time + zrangebyscore on an empty delayed set, exists of
    // the pause flag, zrange of the delayed set and of the schedules) may still land in the window
    // on a loaded machine; it is maintenance, not the job's cost.
    const k = byCommand.zrangebyscore ?? 0;
    const promote = k ? { evalsha: k, time: k, zrangebyscore: k, exists: k, zrange: 2 * k } : {};
    const jobOwn = { xadd: 1, xreadgroup: 1, evalsha: 1, xack: 1, xdel: 1 };
    expect(byCommand).toEqual({ ...promote, ...jobOwn, evalsha: 1 + k });
    expect(total - 6 * k).toBe(5);
  });

  it('retries a failing job with backoff and dead-letters it after exactly `attempts` tries', async () => {
    const { queue } = await freshQueue<{ rx: number }>();
    const tries: number[] = [];
    const worker = closing(
      await queue.process(
        (job) => {
          tries.push(job.attemptsMade);
          throw new Error(`pharmacy rejected rx ${job.data.rx}`);
        },
        { backoff: { baseMs: 20, maxMs: 100 }, promoteIntervalMs: 20 },
      ),
    );
    const retrying: number[] = [];
    const dead: Job<{ rx: number }>[] = [];
    worker.on('retrying', (_job, _err, delay) => retrying.push(delay));
    worker.on('deadLettered', (job) => dead.push(job));
    const { id } = await queue.add('refill', { rx: 7 }, { attempts: 4, jobId: 'refill:7' });
    await waitFor(() => dead.length === 1, 10_000, 'dead letter');
    expect(tries).toEqual([0, 1, 2, 3]);
    expect(retrying).toHaveLength(3);
    for (const d of retrying) expect(d).toBeLessThanOrEqual(100);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 1 });
    const [letter] = await queue.peekDead();
    expect(letter?.id).toBe(id);
    expect(letter?.data).toEqual({ rx: 7 });
    expect(letter?.attemptsMade).toBe(4);
    expect(letter?.error).toBe('pharmacy rejected rx 7');
    expect(letter?.stack).toContain('pharmacy rejected rx 7');
    // The id stays taken while the job is dead.
    expect((await queue.add('refill', { rx: 7 }, { jobId: 'refill:7' })).added).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(tries).toHaveLength(4);

    // retryDead brings it back with fresh tries.
    expect(await queue.retryDead()).toBe(1);
    await waitFor(() => dead.length === 2, 10_000, 'second dead letter');
    expect(tries).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect((await queue.peekDead()).map((d) => d.id)).toEqual([id]);
  });

  it('a job that succeeds on a later try completes and frees its id', async () => {
    const { queue } = await freshQueue();
    let calls = 0;
    const worker = closing(
      await queue.process(
        () => {
          if (++calls < 3) throw new Error('flaky');
          return 'ok';
        },
        { backoff: { baseMs: 10 }, promoteIntervalMs: 20 },
      ),
    );
    const results: unknown[] = [];
    worker.on('completed', (_job, result) => results.push(result));
    await queue.add('email', 1, { jobId: 'mail-1' });
    await waitFor(() => results.length === 1);
    expect(calls).toBe(3);
    expect(results).toEqual(['ok']);
    expect((await queue.add('email', 1, { jobId: 'mail-1' })).added).toBe(true);
  });

  it('a retry without backoff goes straight back to the stream, not through the delayed set', async () => {
    const { queue } = await freshQueue();
    let calls = 0;
    // No maintenance pass for a minute: only a job put straight back runs again in time.
    const worker = closing(
      await queue.process(
        () => {
          if (++calls === 1) throw new Error('flaky');
          return 'ok';
        },
        { backoff: { baseMs: 0 }, promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 },
      ),
    );
    const delays: number[] = [];
    const delayedAtRetry: number[] = [];
    worker.on('retrying', (_job, _err, delayMs) => {
      delays.push(delayMs);
      void queue.counts().then((c) => delayedAtRetry.push(c.delayed));
    });
    let completed = 0;
    worker.on('completed', () => completed++);
    await queue.add('email', 1, { jobId: 'mail-0' });
    await waitFor(() => delayedAtRetry.length === 1, 5000, 'the retry');
    expect(delays).toEqual([0]);
    expect(delayedAtRetry).toEqual([0]);
    await waitFor(() => completed === 1, 5000, 'the second try');
    expect(calls).toBe(2);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('a worker whose job was reclaimed meanwhile cannot fail it: the new owner decides', async () => {
    const { queue } = await freshQueue<string>();
    const [slowGate, releaseSlow] = latch();
    const [newGate, releaseNew] = latch();
    // A hangs on the job past B's visibility timeout (its heartbeat comes only after 20 s), then fails it.
    const slow = closing(
      await queue.process(
        async () => {
          await slowGate;
          throw new Error('too late');
        },
        { consumer: 'hung', visibilityTimeoutMs: 60_000 },
      ),
    );
    const slowEvents: string[] = [];
    slow.on('failed', () => slowEvents.push('failed'));
    slow.on('retrying', () => slowEvents.push('retrying'));
    slow.on('deadLettered', () => slowEvents.push('deadLettered'));
    const { id } = await queue.add('report', 'r-1', { jobId: 'report:1' });
    await waitFor(async () => (await queue.getJob(id))?.consumer === 'hung', 5000, 'the hung worker to fetch it');
    const taker = closing(
      await queue.process(
        async (job) => {
          await newGate;
          return job.data;
        },
        { consumer: 'taker', visibilityTimeoutMs: 200, promoteIntervalMs: 50 },
      ),
    );
    let stalled = 0;
    taker.on('stalled', (jobs) => {
      stalled += jobs.length;
    });
    const done: unknown[] = [];
    taker.on('completed', (_job, result) => done.push(result));
    await waitFor(() => stalled === 1, 10_000, 'the reclaim');
    releaseSlow();
    // Its try is over once the failure went to Redis (and was turned down there).
    await waitFor(() => slow.running === 0, 5000, 'the late failure');
    expect(slowEvents).toEqual(['failed']);
    expect(await queue.getJob(id)).toMatchObject({ state: 'active', consumer: 'taker' });
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 1, delayed: 0, dead: 0 });
    releaseNew();
    await waitFor(() => done.length === 1, 5000, 'the new owner to complete it');
    expect(done).toEqual(['r-1']);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('runs a delayed job not before its time and soon after it', async () => {
    const { queue } = await freshQueue<string>();
    const ran = new Map<string, number>();
    closing(
      await queue.process(
        (job) => {
          ran.set(job.data, Date.now());
        },
        { promoteIntervalMs: 50, concurrency: 4 },
      ),
    );
    const t0 = Date.now();
    await queue.add('remind', 'soon', { delayMs: 700 });
    await queue.add('remind', 'at', { runAt: t0 + 900 });
    await queue.add('remind', 'now', {});
    await waitFor(() => ran.size === 3, 10_000, 'three runs');
    expect((ran.get('now') as number) - t0).toBeLessThan(700);
    expect((ran.get('soon') as number) - t0).toBeGreaterThanOrEqual(700);
    expect((ran.get('at') as number) - t0).toBeGreaterThanOrEqual(900);
    // "soon after": within a few promote intervals even on a loaded machine.
    expect((ran.get('at') as number) - t0).toBeLessThan(4000);
    // Promoted, they left nothing in the delayed set nor their payloads behind.
    const { delayed, payloads } = queue.keys;
    expect(Number(await queue.connection.send(['EXISTS', delayed, payloads], delayed))).toBe(0);
  });

  it('processes a job id added concurrently exactly once', async () => {
    const { queue } = await freshQueue();
    let runs = 0;
    const worker = closing(
      await queue.process(
        async () => {
          runs++;
          await new Promise((r) => setTimeout(r, 100));
        },
        { concurrency: 10 },
      ),
    );
    let completed = 0;
    worker.on('completed', () => completed++);
    await Promise.all(Array.from({ length: 20 }, () => queue.add('sync', { p: 1 }, { jobId: 'sync:p1' })));
    await waitFor(() => completed === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toBe(1);
  });

  it('close() stops fetching, finishes and acknowledges jobs in flight, loses nothing', async () => {
    const { queue } = await freshQueue<number>();
    await queue.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'x', data: i })));
    const done = new Set<number>();
    const first = await queue.process(
      async (job) => {
        await new Promise((r) => setTimeout(r, 150));
        done.add(job.data);
      },
      { concurrency: 5 },
    );
    let started = false;
    first.once('completed', () => {
      started = true;
    });
    await waitFor(() => started);
    const result = await first.close(5000);
    expect(result.abandoned).toBe(0);
    const afterClose = done.size;
    const counts = await queue.counts();
    expect(counts.pending).toBe(0);
    expect(counts.waiting).toBe(30 - afterClose);
    // A second worker picks up the rest; nothing ran twice, nothing is missing.
    closing(await queue.process(async (job) => void done.add(job.data), { concurrency: 5 }));
    await waitFor(() => done.size === 30);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('close() at its deadline aborts the handler signal and leaves the job to be reclaimed', async () => {
    const { queue } = await freshQueue();
    let aborted = false;
    const slow = await queue.process(
      (_job, signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(undefined);
          });
        }),
      { visibilityTimeoutMs: 300 },
    );
    await queue.add('slow', 1);
    await waitFor(async () => (await queue.counts()).pending === 1);
    const result = await slow.close(100);
    expect(result.abandoned).toBe(1);
    expect(aborted).toBe(true);
    const reclaimed: unknown[] = [];
    const next = closing(await queue.process((job) => void reclaimed.push(job.data), { visibilityTimeoutMs: 300 }));
    let stalled = 0;
    next.on('stalled', (jobs) => {
      stalled += jobs.length;
    });
    await waitFor(() => reclaimed.length === 1, 10_000, 'reclaim');
    expect(stalled).toBe(1);
  });

  it('reclaims jobs of a consumer that vanished, and dead-letters a job that keeps stalling', async () => {
    const { connection, queue } = await freshQueue();
    await queue.ensureGroup();
    const { stream } = queue.keys;
    await queue.add('a', 'lost', { attempts: 3 });
    await queue.add('b', 'poison', { attempts: 1 });
    // A consumer that fetches and never acknowledges: a crashed worker.
    await connection.send(['XREADGROUP', 'GROUP', queue.group, 'ghost', 'COUNT', 10, 'STREAMS', stream, '>'], stream);
    const ran: unknown[] = [];
    const dead: unknown[] = [];
    const worker = closing(await queue.process((job) => void ran.push(job.data), { visibilityTimeoutMs: 200 }));
    worker.on('deadLettered', (job) => dead.push(job.data));
    await waitFor(() => ran.length === 1 && dead.length === 1, 10_000, 'reclaim');
    expect(ran).toEqual(['lost']);
    expect(dead).toEqual(['poison']);
    const [letter] = await queue.peekDead();
    expect(letter?.error).toMatch(/stalled/);
    expect(letter?.attemptsMade).toBe(1);
    // A consumer still holding a job is kept: deleting it would orphan the job. The worker
    // stops first: while it blocks on the stream it would fetch the job before 'holder' asks.
    await worker.close();
    await queue.add('c', 'held');
    const held = await connection.send(['XREADGROUP', 'GROUP', queue.group, 'holder', 'COUNT', 1, 'STREAMS', stream, '>'], stream);
    expect(held, 'holder fetched the job').not.toBeNull();
    const removed = await queue.removeIdleConsumers(0);
    expect(removed).toContain('ghost');
    expect(removed).not.toContain('holder');
    // Gone from the group: a second call finds nothing more to remove.
    expect(await queue.removeIdleConsumers(0)).toEqual([]);
  });

  it('a retried job that then stalls is dead-lettered with its tries and the stall, without the old stack, and leaves the stream', async () => {
    const { connection, queue } = await freshQueue<string>();
    const { stream } = queue.keys;
    const [never] = latch();
    let secondTry = false;
    // The first try fails (the retry entry carries the tries used, the error and its stack);
    // the second hangs in a worker that is then closed without waiting for it.
    const hanging = closing(
      await queue.process(
        async (job) => {
          if (job.attemptsMade === 0) throw new Error('pharmacy offline');
          secondTry = true;
          await never;
        },
        { backoff: { baseMs: 0 }, visibilityTimeoutMs: 300 },
      ),
    );
    const { id } = await queue.add('refill', 'rx-9', { attempts: 2 });
    await waitFor(() => secondTry, 5000, 'the second try');
    expect((await hanging.close(100)).abandoned).toBe(1);
    const ran: string[] = [];
    const dead: Job<string>[] = [];
    const next = closing(await queue.process((job) => void ran.push(job.data), { visibilityTimeoutMs: 300, promoteIntervalMs: 50 }));
    next.on('deadLettered', (job) => dead.push(job));
    await waitFor(() => dead.length === 1, 10_000, 'the dead letter');
    // In the same script: acknowledged and deleted, not left for a later reclaim pass to drop.
    const entryId = dead[0]?.entryId as string;
    expect(await connection.send(['XPENDING', stream, queue.group, '-', '+', 10], stream)).toEqual([]);
    expect(await connection.send(['XRANGE', stream, entryId, entryId], stream)).toEqual([]);
    expect(ran).toEqual([]);
    const [letter] = await queue.peekDead();
    expect(letter).toMatchObject({ id, data: 'rx-9', attemptsMade: 2 });
    // One delivery before the reclaim ended without an acknowledgement.
    expect(letter?.error).toBe('stalled: not acknowledged within the visibility timeout 1 time(s)');
    expect(letter?.stack).toBeUndefined();
    // The letter replaces the tries and the error of the retry entry rather than repeating them.
    const letters = (await connection.send(['XRANGE', queue.keys.dead, '-', '+'], queue.keys.dead)) as [string, string[]][];
    const names = (letters[0]?.[1] ?? []).filter((_, i) => i % 2 === 0);
    expect(names.filter((name) => name === 'a' || name === 'e')).toEqual(['a', 'e']);
    expect(new Set(names).size).toBe(names.length);
  });

  it('keeps a slow job of a live worker claimed past the visibility timeout', async () => {
    const { queue } = await freshQueue();
    let runs = 0;
    const opts = { visibilityTimeoutMs: 300, promoteIntervalMs: 50 };
    closing(
      await queue.process(async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 1200));
      }, opts),
    );
    const other = closing(await queue.process(() => void runs++, opts));
    let stalled = 0;
    other.on('stalled', () => stalled++);
    await queue.add('slow', 1);
    await waitFor(() => runs >= 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(runs).toBe(1);
    expect(stalled).toBe(0);
  });

  it("a stalled worker's heartbeat does not take back a job another worker reclaimed, and stops checking it", async () => {
    const { connection, queue } = await freshQueue<string>();
    const { stream } = queue.keys;
    const [gate, open] = latch();
    let entryId = '';
    // Heartbeats every 500 ms claim entries idle that long; this worker's own reclaim takes
    // entries idle 1500 ms. Between the two, only a heartbeat can move the entry.
    closing(
      await queue.process(
        async (job) => {
          entryId = job.entryId;
          await gate;
        },
        { consumer: 'first', visibilityTimeoutMs: 1500 },
      ),
    );
    await queue.add('refill', 'rx-1');
    await waitFor(() => entryId !== '', 5000, 'the first worker to run it');
    // Another worker reclaims it (as reclaim.lua does after the first stalled): it now runs the job.
    const claimForSecond = () => connection.send(['XCLAIM', stream, queue.group, 'second', 0, entryId, 'JUSTID'], stream);
    await claimForSecond();
    const owners = new Set<string>();
    // Left alone, the entry's idle time reaches 1100 ms (two heartbeats) within 1.2 s; a
    // heartbeat taking it back would reset it.
    const giveUpAt = performance.now() + 4000;
    while (performance.now() < giveUpAt) {
      const [pending] = (await connection.send(['XPENDING', stream, queue.group, entryId, entryId, 1], stream)) as [
        string,
        string,
        number,
        number,
      ][];
      if (!pending || pending[2] >= 1100) break;
      owners.add(pending[1]);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect([...owners]).toEqual(['second']);
    // The heartbeat learned it lost the entry: it no longer checks it, though the second worker
    // keeps it claimed (it runs the job) and the first one still runs its handler.
    const { byCommand } = await countCommands(connection, async () => {
      for (let i = 0; i < 8; i++) {
        await claimForSecond();
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    expect(byCommand.xpending ?? 0).toBe(0);
    expect(byCommand.xclaim).toBe(8);
    open();
  });

  it('a throwing event listener becomes an error event and does not disturb acknowledgements', async () => {
    const { queue } = await freshQueue();
    let runs = 0;
    const worker = closing(await queue.process(() => void runs++, { concurrency: 4 }));
    const errors: Error[] = [];
    worker.on('error', (e) => errors.push(e));
    worker.on('completed', () => {
      throw new Error('listener bug');
    });
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'x', data: i })));
    await waitFor(() => errors.length === 10, 10_000, 'ten listener errors');
    expect(errors[0]?.message).toBe('listener bug');
    expect(runs).toBe(10);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('without an error listener, absorbed trouble emits nothing and the worker keeps going', async () => {
    const { queue } = await freshQueue();
    let runs = 0;
    const worker = closing(await queue.process(() => void runs++, { concurrency: 4 }));
    expect(worker.listenerCount('error')).toBe(0);
    let completed = 0;
    worker.on('completed', () => {
      completed++;
      throw new Error('listener bug nobody listens for');
    });
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'x', data: i })));
    await waitFor(() => completed === 10, 10_000, 'ten completions');
    expect(runs).toBe(10);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });

  it('rejects bad worker options with ValidationError before sending anything', async () => {
    const { connection, queue } = await freshQueue();
    const { byCommand } = await countCommands(connection, async () => {
      await expect(queue.process(() => 1, { concurrency: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process(() => 1, { concurrency: 2.5 })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process(() => 1, { concurrency: 1001 })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process(() => 1, { visibilityTimeoutMs: -1 })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process(() => 1, { blockMs: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process(() => 1, { promoteIntervalMs: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process(() => 1, { closeTimeoutMs: -1 })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process(() => 1, { backoff: { jitter: 2 } })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process(() => 1, { backoff: { factor: 0 } })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process(() => 1, { consumer: '' })).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.process('not a function' as never)).rejects.toBeInstanceOf(ValidationError);
    });
    // A starting worker's first command is XGROUP CREATE. (Workers of the tests above still run in
    // the background until the file ends, so the server's total is not this test's.)
    expect(byCommand.xgroup).toBeUndefined();
  });

  it('is a Worker made by process() only; close() validates its timeout and answers the same on every call', async () => {
    const { queue } = await freshQueue();
    const worker = await queue.process(() => undefined);
    expect(worker).toBeInstanceOf(Worker);
    // @ts-expect-error the constructor is private: workers come from StreamQueue.process
    expect(() => new Worker()).toThrow();
    await expect(worker.close(-1)).rejects.toBeInstanceOf(ValidationError);
    const first = worker.close(1000);
    expect(worker.close(5)).toBe(first);
    expect(await first).toEqual({ abandoned: 0 });
  });
});

describe(`Worker when Redis goes away (${driver})`, () => {
  it('reports typed errors, keeps running and resumes when Redis is back', async () => {
    const { startRedis } = await import('../../scripts/lib/redis-servers.js');
    const server = await startRedis();
    try {
      const connection = await RedisConnection.connect({ url: server.url, driver }, { commandTimeoutMs: 300 });
      closeAfterAll(connection);
      const queue = new StreamQueue<number>({ connection, name: 'outage' });
      const seen: number[] = [];
      const worker = await queue.process((job) => void seen.push(job.data), { blockMs: 100 });
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e));
      await queue.add('x', 1);
      await waitFor(() => seen.length === 1);
      server.pause();
      await expect(queue.add('x', 2)).rejects.toMatchObject({ code: 'REDIS_TIMEOUT' });
      await waitFor(() => errors.length > 0, 5000, 'an error event');
      expect(errors[0]).toMatchObject({ code: expect.stringMatching(/REDIS_(TIMEOUT|UNAVAILABLE)/) });
      server.resume();
      await queue.add('x', 3);
      await waitFor(() => seen.includes(3), 10_000, 'job after resume');
      await worker.close(1000);
    } finally {
      await server.stop();
    }
  });
});

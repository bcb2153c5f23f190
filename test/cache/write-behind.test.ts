import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Cache, type SetOptions, writeBehind } from '../../src/cache/index.js';
import { type RedisConnection, RedisUnavailableError, type Serializer, ValidationError } from '../../src/index.js';
import { type Job, StreamQueue, type Worker } from '../../src/queue/index.js';
import { countCommands } from '../harness/command-counter.js';
import { closeAfterAll, driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { waitFor } from '../harness/wait-for.js';

/** What the flusher writes: an absolute value with the version it was written at. */
interface RowWrite {
  table: string;
  id: string;
  values: { name: string };
  version: number;
}

/** A Map standing in for the database; applies a write only if it is newer than what it holds. */
class Sink {
  readonly rows = new Map<string, { name: string; version: number }>();
  readonly applied: { id: string; version: number }[] = [];
  calls = 0;

  constructor(private readonly failFirst = 0) {}

  write(job: Job<RowWrite>): void {
    this.calls++;
    if (this.calls <= this.failFirst) throw new Error(`database unavailable (call ${this.calls})`);
    const { id, values, version } = job.data;
    const current = this.rows.get(id);
    // The queue does not keep jobs in order (a retry runs after newer jobs): the version decides.
    if (current && current.version >= version) return;
    this.rows.set(id, { ...values, version });
    this.applied.push({ id, version });
  }
}

async function setup(): Promise<{ connection: RedisConnection; cache: Cache; queue: StreamQueue<RowWrite> }> {
  const connection = await testConnection();
  const cache = new Cache({ connection, ttlMs: 60_000 });
  const queue = new StreamQueue<RowWrite>({ connection, name: `wb-${randomBytes(4).toString('hex')}` });
  return { connection, cache, queue };
}

async function flusher(queue: StreamQueue<RowWrite>, sink: Sink): Promise<Worker<RowWrite>> {
  const worker = await queue.process((job) => sink.write(job), {
    blockMs: 100,
    promoteIntervalMs: 20,
    backoff: { baseMs: 20, maxMs: 100 },
  });
  // Backstop for a failed test; passing tests close their worker themselves.
  closeAfterAll({ close: () => worker.close(1000) });
  return worker;
}

const row = (id: string, name: string, version: number): RowWrite => ({ table: 'providers', id, values: { name }, version });

describe(`writeBehind on ${target} via ${driver}`, () => {
  it('caches at once, costs one enqueue and one cache set, and a real worker flushes to the sink', async () => {
    const { connection, cache, queue } = await setup();
    await cache.set('warm', 1); // defines the set script, so the measured call needs no NOSCRIPT fallback
    await connection.preload();
    const { result, byCommand } = await countCommands(connection, () =>
      writeBehind(cache, queue, { key: 'provider:1', value: { name: 'Dr. Ada' }, job: row('1', 'Dr. Ada', 1) }),
    );
    expect(result).toMatchObject({ queued: true, cached: true, duplicate: false, stale: false });
    expect(typeof result.jobId).toBe('string');
    expect(byCommand.xadd).toBe(1);
    expect(byCommand.evalsha).toBe(1);
    expect(byCommand.eval).toBeUndefined();
    expect(await cache.get('provider:1')).toEqual({ name: 'Dr. Ada' });

    await writeBehind(cache, queue, { key: 'provider:2', value: { name: 'Dr. Lind' }, tags: ['providers'], job: row('2', 'Dr. Lind', 1) });
    expect(await cache.get('provider:2')).toEqual({ name: 'Dr. Lind' });
    expect(await queue.counts()).toMatchObject({ waiting: 2 });

    const sink = new Sink();
    const worker = await flusher(queue, sink);
    await waitFor(() => sink.rows.size === 2, 5_000, 'both rows flushed');
    expect(sink.rows.get('1')).toEqual({ name: 'Dr. Ada', version: 1 });
    expect(sink.rows.get('2')).toEqual({ name: 'Dr. Lind', version: 1 });
    await waitFor(async () => (await queue.counts()).pending === 0, 5_000, 'acknowledgements');
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
    // The tag came along: invalidating it drops the write-behind entry like any other.
    expect(await cache.invalidateTag('providers')).toBe(1);
    await worker.close(1000); // its background loop must not land in later tests' command counts
  });

  it('a sink failing its first 2 calls gets retried; sequential writes end at the last value, applied in order', async () => {
    const { cache, queue } = await setup();
    // Enqueued before the worker starts, so the first two jobs of provider 7 fail and
    // are retried after version 3 already ran: the version check keeps the newest.
    for (const [version, name] of ['Dr. A', 'Dr. B', 'Dr. C'].entries()) {
      await writeBehind(cache, queue, { key: 'provider:7', value: { name }, job: row('7', name, version + 1) });
      expect(await cache.get('provider:7')).toEqual({ name });
    }
    await writeBehind(cache, queue, { key: 'provider:8', value: { name: 'Dr. X' }, job: row('8', 'Dr. X', 1) });

    const sink = new Sink(2);
    const worker = await flusher(queue, sink);
    let retries = 0;
    let completed = 0;
    worker.on('retrying', () => retries++);
    worker.on('completed', () => completed++);
    await waitFor(() => completed === 4, 5_000, 'four jobs completed');
    expect(retries).toBe(2);
    expect(sink.calls).toBe(6);
    expect(sink.rows.get('7')).toEqual({ name: 'Dr. C', version: 3 });
    expect(sink.rows.get('8')).toEqual({ name: 'Dr. X', version: 1 });
    const versionsOf7 = sink.applied.filter((a) => a.id === '7').map((a) => a.version);
    expect(versionsOf7).toEqual([...versionsOf7].sort((a, b) => a - b));
    expect(versionsOf7.at(-1)).toBe(3);
    expect(await cache.get('provider:7')).toEqual({ name: 'Dr. C' });
    await waitFor(async () => (await queue.counts()).pending === 0, 5_000, 'acknowledgements');
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
    await worker.close(1000);
  });

  it('a repeated jobId enqueues once and says so', async () => {
    const { cache, queue } = await setup();
    const first = await writeBehind(cache, queue, { key: 'p:3', value: 'v', job: row('3', 'v', 1), jobId: 'req-1' });
    const again = await writeBehind(cache, queue, { key: 'p:3', value: 'v', job: row('3', 'v', 1), jobId: 'req-1' });
    expect(first).toEqual({ queued: true, duplicate: false, jobId: 'req-1', cached: true, stale: false });
    expect(again).toEqual({ queued: true, duplicate: true, jobId: 'req-1', cached: true, stale: false });
    expect(await queue.counts()).toMatchObject({ waiting: 1 });
  });

  it('bad input throws ValidationError and sends nothing', async () => {
    const { connection, cache, queue } = await setup();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const good = { key: 'p:1', value: { name: 'x' }, job: row('1', 'x', 1) };
    const bad: unknown[] = [
      { ...good, key: '' },
      { ...good, key: 'k'.repeat(1025) },
      { ...good, key: 42 },
      { ...good, ttlMs: 0 },
      { ...good, ttlMs: 1.5 },
      { ...good, tags: 'providers' },
      { ...good, tags: [''] },
      { ...good, job: undefined },
      { ...good, jobId: '' },
      { ...good, jobName: '' },
      { ...good, value: 10n },
      { ...good, value: cyclic },
      { ...good, job: { ...row('1', 'x', 1), big: 1n } }, // rejected by the queue, before it sends
      null,
    ];
    const { total } = await countCommands(connection, async () => {
      for (const write of bad) {
        await expect(writeBehind(cache, queue, write as typeof good)).rejects.toBeInstanceOf(ValidationError);
      }
      await expect(writeBehind(cache, {} as typeof queue, good)).rejects.toBeInstanceOf(ValidationError);
    });
    expect(total).toBe(0);
  });

  it('a failed enqueue rejects and leaves the cache untouched', async () => {
    const { connection, cache } = await setup();
    await cache.set('p:5', { name: 'old' });
    const down = new RedisUnavailableError('queue down');
    const failingQueue = { add: async () => Promise.reject(down) };
    const { total } = await countCommands(connection, async () => {
      await expect(writeBehind(cache, failingQueue, { key: 'p:5', value: { name: 'new' }, job: row('5', 'new', 2) })).rejects.toBe(down);
    });
    expect(total).toBe(0);
    expect(await cache.get('p:5')).toEqual({ name: 'old' });
  });

  it('a cache write failing after the enqueue resolves cached: false and deletes the old copy', async () => {
    const { connection, queue } = await setup();
    // The fail-open cache resolves false when it skips a write; a rejecting set is handled alike.
    class SkippingCache extends Cache {
      override async set(): Promise<boolean> {
        return false;
      }
    }
    class RejectingCache extends Cache {
      override async set(_key: string, _value: unknown, _options?: SetOptions): Promise<boolean> {
        throw new RedisUnavailableError('cache down');
      }
    }
    const real = new Cache({ connection, ttlMs: 60_000 });
    for (const cache of [new SkippingCache({ connection, ttlMs: 60_000 }), new RejectingCache({ connection, ttlMs: 60_000 })]) {
      await real.set('p:6', { name: 'old' });
      const result = await writeBehind(cache, queue, { key: 'p:6', value: { name: 'new' }, job: row('6', 'new', 2) });
      expect(result).toMatchObject({ queued: true, cached: false, stale: false });
      expect(await real.get('p:6')).toBeUndefined();
    }
    expect(await queue.counts()).toMatchObject({ waiting: 2 });
  });

  it('when the delete fails too, the result says readers may see the old copy', async () => {
    const { connection, queue } = await setup();
    class DownCache extends Cache {
      override async set(): Promise<boolean> {
        return false;
      }
      override async delete(): Promise<void> {
        throw new RedisUnavailableError('cache down');
      }
    }
    const cache = new DownCache({ connection, ttlMs: 60_000 });
    const result = await writeBehind(cache, queue, { key: 'p:9', value: 1, job: row('9', 'x', 1) });
    expect(result).toMatchObject({ queued: true, cached: false, stale: true });
    expect(await queue.counts()).toMatchObject({ waiting: 1 });
  });

  it('names the offending field of bad input', async () => {
    const { cache, queue } = await setup();
    const good = { key: 'p:1', value: { name: 'x' }, job: row('1', 'x', 1) };
    const cases: [unknown, string][] = [
      [{ ...good, key: '' }, 'key'],
      [{ ...good, ttlMs: 0 }, 'ttlMs'],
      [{ ...good, tags: 'providers' }, 'tags'],
      [{ ...good, tags: [''] }, 'tags[]'],
      [{ ...good, job: undefined }, 'job'],
      [{ ...good, jobName: '' }, 'jobName'],
      [{ ...good, jobId: '' }, 'jobId'],
      [{ ...good, value: 10n }, 'value'],
      [null, 'write'],
      ['p:1', 'write'],
    ];
    for (const [write, field] of cases) await expectInvalid(() => writeBehind(cache, queue, write as typeof good), field);
    await expectInvalid(() => writeBehind(cache, {} as typeof queue, good), 'queue');
    await expectInvalid(() => writeBehind(cache, undefined as unknown as typeof queue, good), 'queue');
  });

  it('hands the queue a jobId only when given one, and reports the given one when the queue returns no id', async () => {
    const { cache } = await setup();
    const calls: [string, unknown, object][] = [];
    const queue = {
      add: async (name: string, job: unknown, options: object) => {
        calls.push([name, job, options]);
        return undefined;
      },
    };
    const plain = await writeBehind(cache, queue, { key: 'p:1', value: 'a', job: 'job-a' });
    const named = await writeBehind(cache, queue, { key: 'p:2', value: 'b', job: 'job-b', jobId: 'req-9', jobName: 'rows' });
    expect(calls).toEqual([
      ['write-behind', 'job-a', {}],
      ['rows', 'job-b', { jobId: 'req-9' }],
    ]);
    expect(Object.keys(calls[0]?.[2] ?? { missing: 1 })).toEqual([]);
    expect(plain).toEqual({ queued: true, duplicate: false, jobId: undefined, cached: true, stale: false });
    expect(named).toEqual({ queued: true, duplicate: false, jobId: 'req-9', cached: true, stale: false });
  });

  it('caches null and undefined values without asking the serializer', async () => {
    const connection = await testConnection();
    const serializer: Serializer = {
      serialize: (value) => {
        if (value === null || value === undefined) throw new Error('no nothing here');
        return JSON.stringify(value);
      },
      deserialize: (text) => JSON.parse(text),
    };
    const cache = new Cache({ connection, ttlMs: 60_000, serializer });
    const queue = { add: async () => ({ id: '1', added: true }) };
    expect(await writeBehind(cache, queue, { key: 'p:1', value: null, job: 'j' })).toMatchObject({ cached: true });
    expect(await writeBehind(cache, queue, { key: 'p:2', value: undefined, job: 'j' })).toMatchObject({ cached: true });
  });
});

// What a user's OpenTelemetry exporter receives for the tries a worker runs: the `queue.process`
// span's outcome for a job it could not read, one a rate limit deferred, and one whose failure
// Redis refused to record; the wait histogram (enqueue to start) in real time; progress reports.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { StreamQueue, type Worker } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { telemetryPerTest, total } from '../otel/sdk.js';
import { closeAfterTest, freshQueue, latch, queueOfRefusableUser, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closing<T>(worker: Worker<T>): Worker<T> {
  return closeAfterTest(worker, () => worker.close(0));
}

describe(`Telemetry of the jobs a worker runs on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();
  const outcomes = (sdk: ReturnType<typeof record>) => sdk.spans('queue.process').map((s) => s.attributes['redis_patterns.outcome']);

  it('the wait histogram records the time from enqueue to start', async () => {
    const sdk = record();
    const { queue } = await freshQueue<string>();
    await queue.add('x', 'waited');
    await sleep(300);
    let ran = 0;
    closing(await queue.process(() => void ran++));
    await waitFor(() => ran === 1 && sdk.spans('queue.process').length === 1, 5000, 'the job');
    const [point] = await sdk.metric('redis_patterns.queue.job.wait.duration');
    expect(point?.count).toBe(1);
    expect(point?.sum).toBeGreaterThanOrEqual(0.25);
    expect(point?.sum).toBeLessThan(10);
  });

  it('a job it cannot read is dead-lettered; one the rate limit defers is deferred, then completed', async () => {
    const sdk = record();
    const { connection, queue } = await freshQueue<string>({ rateLimit: { limit: 1, windowMs: 300 } });
    await queue.ensureGroup();
    const { stream } = queue.keys;
    await connection.send(['XADD', stream, '*', 'n', 'x', 'd', '{not json', 'm', '3'], stream);
    await waitFor(async () => (await queue.counts()).waiting === 1, 1000, 'the entry');
    await queue.addBulk(['a', 'b'].map((data) => ({ name: 'x', data })));
    const ran: string[] = [];
    // All three in one read: the unreadable one takes no unit of the limit.
    closing(await queue.process((job) => void ran.push(job.data), { concurrency: 3 }));
    await waitFor(() => ran.length === 2 && sdk.spans('queue.process').length === 4, 5000, 'the jobs');
    expect([...outcomes(sdk)].sort()).toEqual(['completed', 'completed', 'dead-lettered', 'deferred']);
    expect(total(await sdk.metric('redis_patterns.queue.jobs'), { 'redis_patterns.event': 'deferred' })).toBe(1);
  });

  it('a try whose failure Redis refused to record ends failed', async () => {
    const server = await startRedis();
    try {
      const sdk = record();
      const { admin, connection } = await queueOfRefusableUser(server, 'unused');
      const queue = new StreamQueue<string>({ connection, name: 'refused' });
      const [gate, open] = latch();
      const worker = closing(
        await queue.process(
          async () => {
            await gate;
            throw new Error('pharmacy offline');
          },
          { promoteIntervalMs: 60_000, visibilityTimeoutMs: 600_000 },
        ),
      );
      worker.on('error', () => {});
      await queue.add('refill', 'rx-1');
      await waitFor(() => worker.running === 1, 5000, 'the job to run');
      await admin.send(['ACL', 'SETUSER', 'acker', '-evalsha', '-eval']);
      open();
      await waitFor(() => sdk.spans('queue.process').length === 1, 5000, 'the try to end');
      expect(outcomes(sdk)).toEqual(['failed']);
      await admin.send(['ACL', 'SETUSER', 'acker', '+@all']);
      expect(await worker.close(0)).toEqual({ abandoned: 0 });
    } finally {
      await server.stop();
    }
  });

  it("a handler's progress report is a queue.updateProgress span", async () => {
    const sdk = record();
    const { queue } = await freshQueue<string>();
    let reported = false;
    closing(
      await queue.process(async (job) => {
        await job.updateProgress(50);
        reported = true;
      }),
    );
    await queue.add('x', 'with progress');
    await waitFor(() => reported && sdk.spans('queue.process').length === 1, 5000, 'the job');
    const progress = sdk.spans('queue.updateProgress');
    expect(progress).toHaveLength(1);
    expect(progress[0]?.attributes).toMatchObject({ 'redis_patterns.operation': 'updateProgress', 'redis_patterns.queue': 'jobs' });
  });

  it('a job close() gave up on is not counted completed when its handler ends afterwards', async () => {
    const sdk = record();
    const { queue } = await freshQueue<string>();
    const worker = closing(
      await queue.process(
        (_job, signal) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => resolve('finished anyway'));
          }),
      ),
    );
    await queue.add('x', 'slow');
    await waitFor(() => worker.running === 1, 5000, 'the job to run');
    expect(await worker.close(50)).toEqual({ abandoned: 1 });
    await waitFor(() => sdk.spans('queue.process').length === 1, 5000, 'the try to end');
    expect(outcomes(sdk)).toEqual([undefined]);
    expect(total(await sdk.metric('redis_patterns.queue.jobs'), { 'redis_patterns.event': 'completed' })).toBe(0);
    expect(await queue.counts()).toMatchObject({ pending: 1 });
  });
});

// What a user's OpenTelemetry exporter receives for jobs added: the `queue.add` span's outcome
// (`added`, or `duplicate` when the job id is taken), the `queue.jobs` counter of added jobs,
// and the spans of the queue's other calls.
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';
import { telemetryPerTest, total } from '../otel/sdk.js';
import { freshQueue } from './helpers.js';

describe(`Telemetry of adding jobs on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();
  const added = async (sdk: ReturnType<typeof record>) =>
    total(await sdk.metric('redis_patterns.queue.jobs'), { 'redis_patterns.event': 'added' });

  it('add: a job whose id is taken is a duplicate, not an added job', async () => {
    const sdk = record();
    const { queue } = await freshQueue<string>();
    expect((await queue.add('sync', 'first', { jobId: 'sync:p-1' })).added).toBe(true);
    expect((await queue.add('sync', 'again', { jobId: 'sync:p-1' })).added).toBe(false);
    expect(sdk.spans('queue.add').map((s) => s.attributes['redis_patterns.outcome'])).toEqual(['added', 'duplicate']);
    expect(await added(sdk)).toBe(1);
  });

  it('addBulk counts the jobs it added, duplicates left out', async () => {
    const sdk = record();
    const { queue } = await freshQueue<number>();
    await queue.add('sync', 0, { jobId: 'taken' });
    const results = await queue.addBulk([
      { name: 'sync', data: 1, options: { jobId: 'taken' } },
      { name: 'sync', data: 2 },
      { name: 'sync', data: 3, options: { jobId: 'fresh' } },
    ]);
    expect(results.map((r) => r.added)).toEqual([false, true, true]);
    expect(sdk.spans('queue.addBulk')).toHaveLength(1);
    expect(await added(sdk)).toBe(3);
  });
});

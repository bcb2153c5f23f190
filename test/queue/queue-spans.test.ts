// Each call of the queue a user's OpenTelemetry exporter sees is a span named after it:
// queue.<operation>, with the queue's name.
import { describe, expect, it } from 'vitest';
import { MIN_EVERY_MS } from '../../src/queue/index.js';
import { driver, target } from '../harness/redis.js';
import { telemetryPerTest } from '../otel/sdk.js';
import { freshQueue } from './helpers.js';

describe(`Spans of the queue's calls on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('pause, resume, getJob, activeByConsumer, listDead, listDelayed, upsertSchedule and removeSchedule', async () => {
    const sdk = record();
    const { queue } = await freshQueue();
    await queue.pause();
    await queue.resume();
    await queue.getJob('nope');
    await queue.activeByConsumer();
    await queue.listDead();
    await queue.listDelayed();
    await queue.upsertSchedule('digest', { everyMs: MIN_EVERY_MS }, { name: 'digest', data: 1 });
    await queue.removeSchedule('digest');
    const spans = sdk.spans().filter((s) => s.name.startsWith('queue.'));
    expect(spans.map((s) => s.name)).toEqual([
      'queue.pause',
      'queue.resume',
      'queue.getJob',
      'queue.activeByConsumer',
      'queue.listDead',
      'queue.listDelayed',
      'queue.upsertSchedule',
      'queue.removeSchedule',
    ]);
    for (const s of spans) expect(s.attributes['messaging.destination.name'], s.name).toBe('jobs');
  });
});

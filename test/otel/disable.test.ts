// `disable()` of one instrumentation through the real OpenTelemetry SDK: its spans, round trips
// and backlog gauges stop while its providers still run, and another instrumentation (with an
// identifier key) keeps recording, hashes included.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FencedLock } from '../../src/lock/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { telemetryPerTest } from './sdk.js';

const hash = (id: string) => createHmac('sha256', 'telemetry-secret').update(id).digest().subarray(0, 16).toString('base64url');

describe(`OpenTelemetry disable() on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('a disabled instrumentation records no span, round trip or gauge; one with a key keeps hashing identifiers', async () => {
    const connection = await testConnection();
    const keyed = record({ identifierHashKey: 'telemetry-secret' });
    // Made without a key after the keyed one, then disabled: neither forgets the other's key.
    const plain = record();
    const locks = new FencedLock({ connection });
    await (await locks.acquire('desk:1')).release();
    expect(keyed.spans('lock.acquire').map((s) => s.attributes['redis_patterns.subject'])).toEqual([hash('desk:1')]);
    expect(plain.spans('lock.acquire')).toHaveLength(1);
    plain.disable();

    await (await locks.acquire('desk:2')).release();
    const queue = new StreamQueue({ connection, name: 'after-disable' });
    await queue.add('job', {});
    expect(keyed.spans('lock.acquire').map((s) => s.attributes['redis_patterns.subject'])).toEqual([hash('desk:1'), hash('desk:2')]);
    expect(keyed.spans('queue.add')).toHaveLength(1);
    expect((await keyed.metric('redis_patterns.queue.waiting')).map((p) => [p.attributes['redis_patterns.queue'], p.value])).toContainEqual(
      ['after-disable', 1],
    );
    // The disabled one: the spans of before, and nothing since (its SDK would still export it).
    expect(plain.spans().map((s) => s.name)).toEqual(['lock.acquire', 'lock.release']);
    expect(await plain.metric('redis_patterns.queue.waiting')).toEqual([]);
    const before = await plain.metric('redis_patterns.client.round_trips');
    await (await locks.acquire('desk:3')).release();
    expect(await plain.metric('redis_patterns.client.round_trips')).toEqual(before);
    expect(plain.spans()).toHaveLength(2);
    const probe = plain.tracer.startSpan('still-exporting');
    probe.end();
    expect(plain.spans('still-exporting')).toHaveLength(1);
  });
});

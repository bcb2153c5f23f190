// A queue whose Redis does not answer, through the real OpenTelemetry SDK: an add that failed is
// no job added, and its backlog gauges are skipped while other queues' gauges are still read.
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { StreamQueue } from '../../src/queue/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { telemetryPerTest, total } from './sdk.js';

describe(`OpenTelemetry for a queue without Redis on ${target} via ${driver}`, () => {
  const record = telemetryPerTest();

  it('a timed-out add is an error and no job added; the frozen queue has no backlog point, the other one has', async () => {
    const server = await startRedis();
    const { connection: frozenConnection, close } = await privateConnection(server, { commandTimeoutMs: 200 });
    try {
      const frozen = new StreamQueue({ connection: frozenConnection, name: 'frozen' });
      await frozen.add('job', {});
      const live = new StreamQueue({ connection: await testConnection(), name: 'live' });
      await live.add('job', {});
      const sdk = record();
      server.pause();
      await expect(frozen.add('job', {})).rejects.toMatchObject({ code: 'REDIS_TIMEOUT' });
      expect(sdk.spans('queue.add').map((s) => s.attributes['error.type'])).toEqual(['REDIS_TIMEOUT']);
      expect(total(await sdk.metric('redis_patterns.queue.jobs'), { 'redis_patterns.event': 'added' })).toBe(0);
      const waiting = await sdk.metric('redis_patterns.queue.waiting');
      expect(waiting.map((p) => [p.attributes['redis_patterns.queue'], p.value])).toContainEqual(['live', 1]);
      expect(waiting.filter((p) => p.attributes['redis_patterns.queue'] === 'frozen')).toEqual([]);
    } finally {
      server.resume();
      close();
      await server.stop();
    }
  });
});

// Worker options: each bad one named in its ValidationError before anything is sent, the edge
// values accepted, and the defaults a caller can see (the consumer name).
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { countCommands } from '../harness/command-counter.js';
import { driver, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { closeAfterTest, freshQueue } from './helpers.js';

describe(`Worker options on ${target} via ${driver}`, () => {
  it('names the bad option in its ValidationError, before sending anything', async () => {
    const { connection, queue } = await freshQueue();
    const handler = () => undefined;
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => queue.process(handler, null as never), 'options', /must be an object/);
      await expectInvalid(() => queue.process(handler, 5 as never), 'options', /must be an object/);
      await expectInvalid(() => queue.process(handler, 'fast' as never), 'options', /must be an object/);
      await expectInvalid(() => queue.process('not a function' as never), 'handler', /must be a function/);
      await expectInvalid(() => queue.process(handler, { concurrency: 0 }), 'concurrency');
      await expectInvalid(() => queue.process(handler, { concurrency: 2.5 }), 'concurrency');
      await expectInvalid(() => queue.process(handler, { concurrency: 1001 }), 'concurrency', /\[1, 1000\]/);
      await expectInvalid(() => queue.process(handler, { consumer: '' }), 'consumer');
      await expectInvalid(() => queue.process(handler, { blockMs: 0 }), 'blockMs');
      await expectInvalid(() => queue.process(handler, { visibilityTimeoutMs: 0 }), 'visibilityTimeoutMs');
      await expectInvalid(() => queue.process(handler, { backoff: { baseMs: -1 } }), 'backoff.baseMs');
      await expectInvalid(() => queue.process(handler, { backoff: { maxMs: -1 } }), 'backoff.maxMs');
      await expectInvalid(() => queue.process(handler, { backoff: { factor: 0 } }), 'backoff.factor');
      await expectInvalid(() => queue.process(handler, { backoff: { jitter: 1.5 } }), 'backoff.jitter', /\[0, 1\]/);
      await expectInvalid(() => queue.process(handler, { promoteIntervalMs: 0 }), 'promoteIntervalMs');
      await expectInvalid(() => queue.process(handler, { closeTimeoutMs: -1 }), 'closeTimeoutMs');
    });
    expect(total).toBe(0);
  });

  it('accepts every option at its edge', async () => {
    const { queue } = await freshQueue();
    const worker = closeAfterTest(
      await queue.process(() => undefined, {
        concurrency: 1000,
        consumer: 'c'.repeat(1024),
        backoff: { baseMs: 0, maxMs: 0, jitter: 1 },
        closeTimeoutMs: 0,
      }),
    );
    expect(worker.consumer).toBe('c'.repeat(1024));
    const other = closeAfterTest(await queue.process(() => undefined, { concurrency: 1, backoff: { jitter: 0 } }));
    expect(other.running).toBe(0);
  });

  it('close() names a bad timeoutMs', async () => {
    const { queue } = await freshQueue();
    const worker = closeAfterTest(await queue.process(() => undefined));
    await expectInvalid(() => worker.close(-1), 'timeoutMs');
    await expectInvalid(() => worker.close(Number.NaN), 'timeoutMs');
  });

  it('a consumer left unnamed is named after the host and the process, and differs per worker', async () => {
    const { queue } = await freshQueue();
    const a = closeAfterTest(await queue.process(() => undefined));
    const b = closeAfterTest(await queue.process(() => undefined));
    const pattern = new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${process.pid}-[\\w-]{6}$`);
    expect(a.consumer).toMatch(pattern);
    expect(b.consumer).toMatch(pattern);
    expect(a.consumer).not.toBe(b.consumer);
  });
});

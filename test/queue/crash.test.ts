// At-least-once under a crash: a worker process is killed with SIGKILL in the middle of its
// work; the surviving worker reclaims what it held. Every job completes, none is lost, and
// the duplicates are bounded by what the dead worker held unacknowledged.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { closeAfterAll, driver, target } from '../harness/redis.js';
import { freshQueue, waitFor } from './helpers.js';
import { childEnv } from './processes.js';

const N = 300;

describe(`StreamQueue with a worker killed mid-batch on ${target} via ${driver}`, () => {
  it('completes every job through the survivor; duplicates <= jobs the dead worker held', async () => {
    const { connection, queue } = await freshQueue<{ n: number }>();
    const ks = connection.keys('test');
    const doneKey = ks.key('crash', 'done');
    const countKey = ks.key('crash', 'child-count');
    await queue.addBulk(Array.from({ length: N }, (_, n) => ({ name: 'sync', data: { n } })));

    const child = spawn(process.execPath, ['test/queue/fixtures/crash-worker.mjs'], {
      env: {
        ...childEnv(connection),
        RP_QUEUE: queue.name,
        RP_DONE_KEY: doneKey,
        RP_COUNT_KEY: countKey,
        RP_CONSUMER: 'doomed',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    closeAfterAll({ close: async () => void child.kill('SIGKILL') });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d) => String(d).includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });

    // The survivor shares the queue from the start.
    const survivor = await queue.process(
      async (job) => {
        await new Promise((r) => setTimeout(r, 15));
        await connection.send(['RPUSH', doneKey, String(job.data.n)], doneKey);
      },
      { concurrency: 5, visibilityTimeoutMs: 500 },
    );
    closeAfterAll({ close: () => survivor.close(1000) });
    let reclaimed = 0;
    survivor.on('stalled', (jobs) => {
      reclaimed += jobs.length;
    });

    await waitFor(async () => Number(await connection.send(['GET', countKey], countKey)) >= 30, 20_000, 'the child to work');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    // What the dead consumer held when it died: fetched, maybe finished, never acknowledged.
    const { stream } = queue.keys;
    const held = (await connection.send(['XPENDING', stream, queue.group, '-', '+', 100, 'doomed'], stream)) as unknown[];
    expect(held.length).toBeGreaterThan(0);
    expect(held.length).toBeLessThanOrEqual(10);

    await waitFor(
      async () => new Set((await connection.send(['LRANGE', doneKey, 0, -1], doneKey)) as string[]).size === N,
      30_000,
      'every job to complete',
    );
    await waitFor(async () => (await queue.counts()).pending === 0, 10_000, 'acks');
    const done = (await connection.send(['LRANGE', doneKey, 0, -1], doneKey)) as string[];
    expect(new Set(done)).toEqual(new Set(Array.from({ length: N }, (_, n) => String(n))));
    // The survivor took over what the dead worker held (the jobs it died with, finished or not).
    expect(reclaimed).toBe(held.length);
    const duplicates = done.length - N;
    expect(duplicates).toBeLessThanOrEqual(held.length);
    expect(await queue.counts()).toEqual({ waiting: 0, pending: 0, delayed: 0, dead: 0 });
  });
});

// A worker paused on its own fetches nothing; resume() lets it fetch again at once.
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';
import { closeAfterTest, freshQueue, waitFor } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Worker resume on ${target} via ${driver}`, () => {
  it('a paused worker, the only one, runs the waiting job right after resume()', async () => {
    const { queue } = await freshQueue<string>();
    const seen: string[] = [];
    const worker = closeAfterTest(await queue.process((job) => void seen.push(job.data), { blockMs: 10_000 }));
    await worker.pause();
    expect(worker.isPaused).toBe(true);
    await queue.add('refill', 'rx-1');
    await sleep(300);
    expect(seen).toEqual([]);
    expect(await queue.counts()).toMatchObject({ waiting: 1, pending: 0 });
    worker.resume();
    expect(worker.isPaused).toBe(false);
    // Well within blockMs: the resumed worker reads at once.
    await waitFor(() => seen.length === 1, 5000, 'the job after resume');
    expect(seen).toEqual(['rx-1']);
  });
});

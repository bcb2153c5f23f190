import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { backoffDelay, sleep } from '../../src/kit/index.js';

describe('sleep', () => {
  it('resolves after the time asked for', async () => {
    const started = performance.now();
    await sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
  });

  it('rejects with the signal’s reason: at once when already aborted, else when it aborts', async () => {
    const reason = new Error('stop');
    const aborted = AbortSignal.abort(reason);
    await expect(sleep(10_000, aborted)).rejects.toBe(reason);
    const controller = new AbortController();
    const started = performance.now();
    const pending = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(5_000);
    // A sleep that ended is not affected by a later abort.
    const later = new AbortController();
    await sleep(5, later.signal);
    later.abort(reason);
  });

  it('leaves no listener on the caller’s signal, whether it ended or was aborted', async () => {
    // One long-lived signal across many sleeps (a worker's shutdown signal) must not collect
    // listeners: Node warns of a leak past 10, and each keeps its sleep's closure alive.
    const controller = new AbortController();
    for (let i = 0; i < 12; i++) await sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const pending = sleep(10_000, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially from baseMs, by factor, up to maxMs, without jitter', () => {
    const exact = (attempt: number, options: Parameters<typeof backoffDelay>[1]) => backoffDelay(attempt, { jitter: 0, ...options });
    expect([1, 2, 3, 4].map((n) => exact(n, { baseMs: 100 }))).toEqual([100, 200, 400, 800]);
    expect([0, -3].map((n) => exact(n, { baseMs: 100 }))).toEqual([100, 100]);
    expect([1, 2, 3].map((n) => exact(n, { baseMs: 10, factor: 3 }))).toEqual([10, 30, 90]);
    expect([1, 3, 5, 50].map((n) => exact(n, { baseMs: 100, maxMs: 500 }))).toEqual([100, 400, 500, 500]);
    expect(exact(2, { baseMs: 1.2 })).toBe(2);
  });

  it('randomizes half the delay by default, all of it with full jitter', () => {
    const half = Array.from({ length: 2000 }, () => backoffDelay(2, { baseMs: 100 }));
    expect(Math.min(...half)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...half)).toBeLessThanOrEqual(200);
    expect(Math.min(...half)).toBeLessThan(110);
    expect(Math.max(...half)).toBeGreaterThan(190);
    const full = Array.from({ length: 2000 }, () => backoffDelay(1, { baseMs: 100, jitter: 1 }));
    expect(Math.min(...full)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...full)).toBeLessThanOrEqual(100);
    expect(Math.min(...full)).toBeLessThan(10);
    expect(Math.max(...full)).toBeGreaterThan(90);
    expect(new Set(full).size).toBeGreaterThan(50);
  });
});

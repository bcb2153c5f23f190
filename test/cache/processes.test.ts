import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { bundleFixture } from '../harness/bundle-fixture.js';
import { driver, target, testConnection, topology, uniquePrefix } from '../harness/redis.js';

const run = promisify(execFile);
let wrapChild = '';
let closeChild = '';
beforeAll(async () => {
  [wrapChild, closeChild] = await Promise.all([
    bundleFixture('test/cache/fixtures/wrap-child.ts'),
    bundleFixture('test/cache/fixtures/close-child.ts'),
  ]);
});
afterAll(async () => {
  await Promise.all([wrapChild, closeChild].filter(Boolean).map((file) => rm(file, { force: true })));
});

/** Starts `processes` child processes that each fire `callsEach` concurrent wraps of one cold key at the same moment. */
async function stampede(processes: number, callsEach: number, lock: boolean) {
  const prefix = uniquePrefix('xp');
  const topo = topology();
  const args = {
    driver,
    target,
    url: topo.standaloneUrl,
    nodes: topo.clusterNodes,
    prefix,
    key: 'provider:42:availability',
    calls: callsEach,
    startAt: Date.now() + 2500, // time for every child to start and connect
    lock,
  };
  const outputs = await Promise.all(
    Array.from({ length: processes }, () => run(process.execPath, [wrapChild, JSON.stringify(args)], { timeout: 30_000 })),
  );
  const children = outputs.map((o) => JSON.parse(o.stdout.trim().split('\n').pop() as string) as { pid: number; values: number[] });
  const connection = await testConnection({ prefix });
  const counterKey = connection.keys('cache-test').key('loader-calls');
  const loaderCalls = Number(await connection.send(['GET', counterKey], counterKey));
  return { children, loaderCalls };
}

describe(`Cache stampede across OS processes on ${target} via ${driver}`, () => {
  it('100 concurrent wraps of one cold key in 2 processes: the loader runs once', async () => {
    const { children, loaderCalls } = await stampede(2, 50, true);
    expect(loaderCalls).toBe(1);
    // Every caller in every process got the one loaded value.
    const loaders = new Set(children.flatMap((c) => c.values));
    expect(loaders.size).toBe(1);
    expect(children.map((c) => c.pid)).toContain([...loaders][0]);
  });

  it('without the distributed guard: at most once per process', async () => {
    const { loaderCalls } = await stampede(3, 30, false);
    expect(loaderCalls).toBeGreaterThanOrEqual(1);
    expect(loaderCalls).toBeLessThanOrEqual(3);
  });

  it('after close() nothing of the cache keeps the process alive (frozen Redis, background work in flight)', async () => {
    const server = await startRedis();
    try {
      const args = { url: server.url, driver, redisPid: server.pid };
      const { stdout } = await run(process.execPath, [closeChild, JSON.stringify(args)], { timeout: 60_000 });
      const exitedAt = Date.now();
      const report = JSON.parse(stdout.trim().split('\n').pop() as string);
      expect(report).toMatchObject({ stale: 1, cold: 'from-db', set: false, deleteRejected: true });
      // close() waited for the background store (bounded by the cache's 300 ms), not for the
      // refresh's loader, and left no timer of ours behind (the connection's 30 s never applied).
      expect(report.closeMs).toBeLessThan(5000);
      expect(report.alive).toEqual([]);
      // Then only the connection's own close was left.
      expect(exitedAt - report.at).toBeLessThan(10_000);
    } finally {
      server.resume();
      await server.stop();
    }
  });
});

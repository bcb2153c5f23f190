import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { driver, target, testConnection, topology, uniquePrefix } from '../harness/redis.js';

const run = promisify(execFile);
const CHILD = 'test/cache/fixtures/wrap-child.mjs';

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
    Array.from({ length: processes }, () => run(process.execPath, [CHILD, JSON.stringify(args)], { timeout: 30_000 })),
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
});

// Separate processes importing the built package (dist/: `npm run build` first, as
// `npm test` does) share one circuit through Redis.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { driver, target, topology, uniquePrefix } from '../harness/redis.js';
import { sleep } from './helpers.js';

interface Outcome {
  results: ('ran' | 'rejected' | 'failed')[];
  events: string[];
  state: string;
}

const prefix = uniquePrefix('cb-proc');
const breakerOptions = { failureThreshold: 3, openMs: 3000, halfOpenMaxProbes: 2, redisTimeoutMs: 2000 };

/** Starts an instance process; resolves once it is connected, with a function that starts its calls. */
async function instance(calls: number, succeed: boolean, callMs: number): Promise<() => Promise<Outcome>> {
  const topo = topology();
  const connectTo = target === 'cluster' ? { clusterNodes: topo.clusterNodes, driver } : { url: topo.standaloneUrl, driver };
  const config = { target: connectTo, prefix, name: 'eprescribe', options: breakerOptions, calls, succeed, callMs };
  const child: ChildProcess = spawn(process.execPath, ['test/circuit-breaker/fixtures/instance.mjs', JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  expect((await lines.next()).value).toBe('ready');
  const exited = once(child, 'exit');
  return async () => {
    child.stdin?.write('go\n');
    const line = (await lines.next()).value as string;
    child.stdin?.end();
    // The fixture ends with breaker.close() and connection.close(), no process.exit(): nothing may keep it alive.
    const [code] = await Promise.race([exited, sleep(10_000).then(() => ['still running'])]);
    if (code === 'still running') child.kill();
    expect(code, 'the process exits by itself after close()').toBe(0);
    return JSON.parse(line) as Outcome;
  };
}

describe(`CircuitBreaker across processes on ${target} via ${driver}`, () => {
  it('the built package is there', () => {
    expect(existsSync('dist/circuit-breaker/index.js'), 'run npm run build first (npm test does)').toBe(true);
  });

  it('failures in one process open the circuit for another; after openMs exactly halfOpenMaxProbes probes run', async () => {
    // Both processes are connected before the first one fails, so the second acts well within openMs.
    const [startFailing, startOther] = await Promise.all([instance(3, false, 0), instance(1, true, 0)]);
    const failing = await startFailing();
    const openedAt = Date.now();
    expect(failing.results).toEqual(['failed', 'failed', 'failed']);
    expect(failing.events).toEqual(['opened']);

    const other = await startOther();
    expect(other.results).toEqual(['rejected']);
    expect(other.events).toEqual(['opened']);

    // Two processes, 25 callers each, released together into the half-open circuit.
    const [startA, startB] = await Promise.all([instance(25, true, 400), instance(25, true, 400)]);
    await sleep(Math.max(0, openedAt + breakerOptions.openMs + 100 - Date.now()));
    const [a, b] = await Promise.all([startA(), startB()]);
    const all = [...a.results, ...b.results];
    expect(all.filter((r) => r === 'ran')).toHaveLength(2);
    expect(all.filter((r) => r === 'rejected')).toHaveLength(48);
    // A probe closed the circuit: a process started now calls through.
    expect([a.state, b.state]).toContain('closed');
    const after = await (await instance(1, true, 0))();
    expect(after).toMatchObject({ results: ['ran'], state: 'closed' });
  });
});

// Mutual exclusion under real contention: contenders in this process and in separate
// OS processes (which import the built package) share one resource.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FencedLock } from '../../src/lock/index.js';
import { driver, target, testConnection, topology } from '../harness/redis.js';

const run = promisify(execFile);
const PROCESSES = 3;
const PER_PROCESS = 4;
const LOCAL = 10;
const ITERATIONS = 12;

describe(`FencedLock mutual exclusion on ${target} via ${driver}`, () => {
  it(`${LOCAL + PROCESSES * PER_PROCESS} contenders (${PROCESSES} in other processes) never overlap; tokens strictly increase`, async () => {
    expect(existsSync('dist/lock/index.js'), 'build first: npm test does, or flock /tmp/build.lock npm run build').toBe(true);
    const connection = await testConnection();
    const prefix = connection.prefix;
    const resource = 'nightly-job';
    const inside = `${prefix}:cs`;
    const tokensKey = `${prefix}:tokens`;
    const locks = new FencedLock({ connection, ttlMs: 10000, waitMs: 60000 });
    let localOverlaps = 0;

    const local = async () => {
      for (let i = 0; i < ITERATIONS; i++) {
        await locks.using(resource, async ({ token }) => {
          if (Number(await connection.send(['INCR', inside], inside)) !== 1) localOverlaps++;
          await connection.send(['RPUSH', tokensKey, token], tokensKey);
          await new Promise((r) => setTimeout(r, Math.random() * 2));
          await connection.send(['DECR', inside], inside);
        });
      }
    };
    const topo = topology();
    const env = {
      ...process.env,
      RP_TARGET: target,
      RP_DRIVER: driver,
      RP_URL: topo.standaloneUrl,
      RP_NODES: topo.clusterNodes.join(','),
      RP_PREFIX: prefix,
      RP_RESOURCE: resource,
      RP_CONTENDERS: String(PER_PROCESS),
      RP_ITERATIONS: String(ITERATIONS),
    };
    const children = Array.from({ length: PROCESSES }, () =>
      run(process.execPath, ['test/lock/fixtures/contender.mjs'], { env, timeout: 90_000 }).then(
        ({ stdout }) => JSON.parse(stdout.trim().split('\n').pop() as string) as { acquired: number; overlaps: number },
      ),
    );
    const [summaries] = await Promise.all([Promise.all(children), Promise.all(Array.from({ length: LOCAL }, local))]);

    const total = (LOCAL + PROCESSES * PER_PROCESS) * ITERATIONS;
    expect(summaries.map((s) => s.acquired)).toEqual(Array(PROCESSES).fill(PER_PROCESS * ITERATIONS));
    expect(summaries.reduce((n, s) => n + s.overlaps, localOverlaps)).toBe(0);
    const tokens = ((await connection.send(['LRANGE', tokensKey, 0, -1], tokensKey)) as string[]).map(Number);
    expect(tokens).toHaveLength(total);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as number);
  }, 120_000);
});

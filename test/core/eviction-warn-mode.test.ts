// evictionCheck 'warn' (the default) only reports: on a server that may evict, a durable
// module's commands, pipelines and scripts still run, before and after the check has answered.
import { describe, expect, it } from 'vitest';
import type { EvictionReport } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { fullServers } from '../harness/full-server.js';
import { driver, target } from '../harness/redis.js';

const write = defineScript<[value: string]>('test/warn-write', "return redis.call('SET', KEYS[1], ARGV[1])", { keys: 1 });

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`evictionCheck 'warn' via ${driver}`, () => {
  const startFull = fullServers();

  it('runs a durable module’s commands on an allkeys-lru server and reports the risk', async () => {
    const full = await startFull('allkeys-lru');
    const { connection } = full;
    const reported = new Promise<EvictionReport>((resolve) => connection.once('evictionRisk', resolve));
    const key = connection.keys('ledger', { durable: true }).key('a');
    const calls = () =>
      Promise.all([
        connection.send(['SET', key, '1'], key),
        connection.pipeline([['SET', key, '2']]),
        connection.pipeline([['GET', key]], { routeKey: key }),
        connection.run(write, [key], ['3']),
      ]);
    // In the same tick as keys(), and again once the check has answered.
    expect(await calls()).toEqual(['OK', ['OK'], ['2'], 'OK']);
    expect((await reported).modulesAtRisk).toEqual(['ledger']);
    expect(await calls()).toEqual(['OK', ['OK'], ['2'], 'OK']);
  });
});

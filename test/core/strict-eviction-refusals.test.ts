// Strict eviction checks on a server that may evict: what a durable module sends is refused even
// before the first check has answered (a script too, which is not sent again after the wait),
// while commands of no module, or of a module that tolerates eviction, go straight through.
// While Redis is down the check cannot be made: a durable module's command then fails typed.
import { describe, expect, it } from 'vitest';
import { redisCli } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, EvictionPolicyError } from '../../src/index.js';
import { defineScript } from '../../src/kit/index.js';
import { fullServers } from '../harness/full-server.js';
import { privateConnection, privateServers } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';

const write = defineScript<[value: string]>('test/strict-write', "return redis.call('SET', KEYS[1], ARGV[1])", { keys: 1 });

// The servers are private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`strict eviction refusals via ${driver}`, () => {
  const startServer = privateServers();
  const startFull = fullServers();

  it('refuses a script sent before the first check answered, and writes nothing', async () => {
    const full = await startFull('allkeys-lru', { evictionCheck: 'strict' });
    const { connection } = full;
    const key = connection.keys('ledger', { durable: true }).key('a');
    // In the same tick as keys(): the check has not answered yet.
    const error = await connection.run(write, [key], ['1']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvictionPolicyError);
    expect((error as EvictionPolicyError).report.modulesAtRisk).toEqual(['ledger']);
    expect(await connection.send(['EXISTS', key])).toBe(0);
  });

  it('lets commands without a key, and keys of modules that may be evicted, through', async () => {
    const full = await startFull('allkeys-lru', { evictionCheck: 'strict' });
    const { connection } = full;
    connection.keys('ledger', { durable: true });
    const cached = connection.keys('cache').key('a');
    expect(await connection.send(['PING'])).toBe('PONG');
    expect(await connection.send(['SET', cached, '1'], cached)).toBe('OK');
    expect(await connection.run(write, [cached], ['2'])).toBe('OK');
    expect(await connection.pipeline([['GET', cached]], { routeKey: cached })).toEqual(['2']);
    // Once the check has answered, the durable module is refused and the others still are not.
    await expect(
      connection.send(['SET', connection.keys('ledger').key('a'), '1'], connection.keys('ledger').key('a')),
    ).rejects.toBeInstanceOf(EvictionPolicyError);
    expect(await connection.send(['GET', cached], cached)).toBe('2');
  });

  it('keeps refusing until a check finds the server safe, also while that check is under way', async () => {
    const full = await startFull('allkeys-lru', { evictionCheck: 'strict' });
    const { connection } = full;
    const key = connection.keys('ledger', { durable: true }).key('a');
    expect((await connection.checkEviction()).evicting).toBe(true);
    await connection.send(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    const recheck = connection.checkEviction();
    // Sent while the new check has not answered: the last finding still holds.
    await expect(connection.send(['SET', key, '1'], key)).rejects.toBeInstanceOf(EvictionPolicyError);
    await expect(connection.run(write, [key], ['1'])).rejects.toBeInstanceOf(EvictionPolicyError);
    expect((await recheck).evicting).toBe(false);
    expect(await connection.send(['SET', key, '2'], key)).toBe('OK');
    expect(await connection.run(write, [key], ['3'])).toBe('OK');
  });

  it('while Redis is down, a durable module’s command fails with the timeout of the check it waits for', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { evictionCheck: 'strict', commandTimeoutMs: 200 });
    try {
      expect(await connection.send(['PING'])).toBe('PONG');
      await server.kill();
      const key = connection.keys('ledger', { durable: true }).key('a');
      // The check keys() started fails: it is not kept, so the command below starts another.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const error = await connection.send(['SET', key, '1'], key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CommandTimeoutError);
      expect((error as CommandTimeoutError).message).toMatch(/^Redis did not answer INFO memory within 200 ms$/);
    } finally {
      close();
    }
  });

  it('a check that timed out is not kept: once Redis answers again, a durable module’s command starts a new one and runs', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server, { evictionCheck: 'strict', commandTimeoutMs: 200 });
    try {
      expect(await connection.send(['PING'])).toBe('PONG');
      // Paused, not stopped: no reconnect (which would check again by itself).
      await redisCli(server.port, 'CLIENT', 'PAUSE', '700', 'ALL');
      const key = connection.keys('ledger', { durable: true }).key('a');
      await waitFor(async () => (await connection.send(['PING']).catch(() => '')) === 'PONG', 10_000, 'the end of the pause');
      expect(await connection.send(['SET', key, '1'], key)).toBe('OK');
    } finally {
      close();
    }
  });
});

// evictionCheck 'off' reads no eviction policy when a durable module starts: no evictionRisk
// however the server is configured. An explicit checkEviction() still reports what it finds.
import { describe, expect, it } from 'vitest';
import type { EvictionReport } from '../../src/index.js';
import { fullServers } from '../harness/full-server.js';
import { driver, target } from '../harness/redis.js';

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`evictionCheck 'off' via ${driver}`, () => {
  const startFull = fullServers();

  it('a durable module on an allkeys-lru server emits no evictionRisk; an explicit check still reports it', async () => {
    const full = await startFull('allkeys-lru', { evictionCheck: 'off' });
    const { connection } = full;
    const events: EvictionReport[] = [];
    connection.on('evictionRisk', (r) => events.push(r));
    connection.keys('ledger', { durable: true });
    // A check started by keys() would have been answered long before this round trip and pause.
    expect(await connection.send(['PING'])).toBe('PONG');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events).toEqual([]);
    const report = await connection.checkEviction();
    expect(report).toMatchObject({ evicting: true, modulesAtRisk: ['ledger'] });
    expect(events).toEqual([report]);
  });
});

// evictionRisk is emitted once per finding: not again for the same finding, never for a check
// that finds the server safe, and again when the server may evict once more after that. Each is
// also published on the diagnostics channel `redis-patterns:eviction-risk`.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { EvictionReport } from '../../src/index.js';
import { fullServers } from '../harness/full-server.js';
import { driver, target } from '../harness/redis.js';

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`evictionRisk events via ${driver}`, () => {
  const startFull = fullServers();

  it('one per finding, none for a safe server, again once it may evict again', async () => {
    const full = await startFull('allkeys-lru');
    const { connection } = full;
    const events: EvictionReport[] = [];
    connection.on('evictionRisk', (r) => events.push(r));
    const published: unknown[] = [];
    const onPublished = (report: unknown) => published.push(report);
    subscribe('redis-patterns:eviction-risk', onPublished);
    onTestFinished(() => {
      unsubscribe('redis-patterns:eviction-risk', onPublished);
    });
    connection.keys('ledger', { durable: true });
    const first = await connection.checkEviction();
    expect(first.evicting).toBe(true);
    expect(await connection.checkEviction()).toEqual(first);
    expect(events).toEqual([first]);

    await connection.send(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    expect((await connection.checkEviction()).evicting).toBe(false);
    expect(events).toEqual([first]);

    await connection.send(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    const again = await connection.checkEviction();
    expect(again).toEqual(first);
    expect(events).toEqual([first, again]);
    expect(published).toEqual(events);
  });
});

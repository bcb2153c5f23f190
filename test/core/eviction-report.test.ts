import { describe, expect, it } from 'vitest';
import { evictionReport } from '../../src/core/eviction.js';
import { EvictionPolicyError, type NodeMemoryPolicy } from '../../src/index.js';
import { driver, target, testConnection, topology } from '../harness/redis.js';

const node = (policy: string, maxmemory: number, name = 'port 1'): NodeMemoryPolicy => ({ node: name, policy, maxmemory });

describe('eviction reports', () => {
  it('count a primary as evicting only with a maxmemory and a policy other than noeviction', () => {
    expect(evictionReport([node('allkeys-lru', 1024)], ['queue']).evicting).toBe(true);
    expect(evictionReport([node('allkeys-lru', 0)], ['queue'])).toEqual({
      evicting: false,
      nodes: [node('allkeys-lru', 0)],
      modulesAtRisk: [],
    });
    expect(evictionReport([node('noeviction', 1024)], ['queue']).evicting).toBe(false);
    const mixed = [node('noeviction', 1024, 'port 1'), node('volatile-ttl', 1024, 'port 2')];
    expect(evictionReport(mixed, new Set(['session', 'lock', 'queue']))).toEqual({
      evicting: true,
      nodes: mixed,
      modulesAtRisk: ['lock', 'queue', 'session'],
    });
  });

  it('EvictionPolicyError names each evicting policy once and the modules that need noeviction', () => {
    const report = evictionReport(
      [node('allkeys-lru', 10), node('allkeys-lru', 10), node('volatile-ttl', 0), node('noeviction', 10), node('allkeys-lfu', 10)],
      ['queue', 'lock'],
    );
    const error = new EvictionPolicyError(report);
    expect(error.message).toBe('Redis may evict keys (maxmemory-policy allkeys-lru, allkeys-lfu); lock, queue need noeviction');
    expect(error.report).toBe(report);
    expect(error.code).toBe('EVICTION_POLICY');
    expect(error.name).toBe('EvictionPolicyError');
  });
});

describe(`eviction check on ${target} via ${driver}`, () => {
  it('reads each primary’s port, policy and maxmemory', async () => {
    const connection = await testConnection();
    const report = await connection.checkEviction();
    expect(report.evicting).toBe(false);
    const { standaloneUrl, clusterNodes } = topology();
    const ports = target === 'cluster' ? clusterNodes.map((n) => `port ${n.split(':').pop()}`) : [`port ${new URL(standaloneUrl).port}`];
    expect(report.nodes.map((n) => n.node).sort()).toEqual(ports.sort());
    for (const n of report.nodes) expect(n).toMatchObject({ policy: 'noeviction', maxmemory: 0 });
  });
});

import { channel } from 'node:diagnostics_channel';
import type { RedisClient } from './client/types.js';
import { RedisPatternsError } from './errors.js';
import { within } from './time-limit.js';

/** The eviction policy of one primary, as `INFO memory` reports it. */
export interface NodeMemoryPolicy {
  /** `host:port` of the primary, when its `INFO` says (`tcp_port`); otherwise its index. */
  readonly node: string;
  /** `maxmemory-policy`: `noeviction`, `allkeys-lru`, `volatile-ttl`, ... */
  readonly policy: string;
  /** `maxmemory` in bytes; `0` means no limit (then nothing is ever evicted). */
  readonly maxmemory: number;
}

/**
 * What the eviction check found: a Redis that may delete keys by itself (a `maxmemory` and a
 * policy other than `noeviction`) silently breaks the promises of every module that keeps
 * data there (a queue's jobs, a lock and its fencing counter, a session and its user's index).
 */
export interface EvictionReport {
  /** True when some primary may evict keys. */
  readonly evicting: boolean;
  /** The policy of every primary. */
  readonly nodes: readonly NodeMemoryPolicy[];
  /** Modules in use on this connection that need `noeviction` (every module but the cache). */
  readonly modulesAtRisk: readonly string[];
}

/**
 * A module that needs `noeviction` ran on a connection with `evictionCheck: 'strict'` while a
 * primary may evict keys: its commands are refused instead of losing data silently. Code
 * `EVICTION_POLICY`.
 */
export class EvictionPolicyError extends RedisPatternsError {
  /** `EVICTION_POLICY` */
  static readonly code = 'EVICTION_POLICY';
  /** What the check found. */
  readonly report: EvictionReport;

  constructor(report: EvictionReport) {
    const policies = [...new Set(report.nodes.filter((n) => n.maxmemory > 0 && n.policy !== 'noeviction').map((n) => n.policy))];
    super(
      EvictionPolicyError.code,
      `Redis may evict keys (maxmemory-policy ${policies.join(', ')}); ${report.modulesAtRisk.join(', ')} need noeviction`,
    );
    this.report = report;
  }
}

/** Published on `redis-patterns:eviction-risk` whenever a check finds a new {@link EvictionReport} with risk. */
export const evictionChannel = channel('redis-patterns:eviction-risk');

/** Reads `maxmemory-policy` and `maxmemory` of every primary with `INFO memory` (which works where `CONFIG` is disabled). */
export async function readMemoryPolicies(primaries: readonly RedisClient[], timeoutMs: number): Promise<NodeMemoryPolicy[]> {
  return Promise.all(
    primaries.map(async (node, i) => {
      const info = String(await within(node.send(['INFO', 'memory']), timeoutMs, 'INFO memory'));
      const field = (name: string) => info.match(new RegExp(`^${name}:(.*)$`, 'm'))?.[1];
      const server = String(await within(node.send(['INFO', 'server']), timeoutMs, 'INFO server'));
      const port = server.match(/^tcp_port:(\d+)/m)?.[1];
      return {
        node: port ? `port ${port}` : String(i),
        policy: field('maxmemory_policy') ?? 'unknown',
        maxmemory: Number(field('maxmemory') ?? 0),
      };
    }),
  );
}

/** The report for `nodes` and the modules in use. */
export function evictionReport(nodes: readonly NodeMemoryPolicy[], modules: Iterable<string>): EvictionReport {
  const evicting = nodes.some((n) => n.maxmemory > 0 && n.policy !== 'noeviction');
  return { evicting, nodes, modulesAtRisk: evicting ? [...modules].sort() : [] };
}

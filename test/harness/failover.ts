// The deployment a reliability test fails over, started once per file: Sentinel on the
// standalone projects (both drivers), a Cluster with one replica per primary on the
// ioredis cluster project. node-redis 5 clusters do not find a promoted replica
// (redis/node-redis#2806), so the node-redis cluster project has none.
import { afterAll, beforeAll } from 'vitest';
import { type FailoverKind, type FailoverTopology, startFailoverTopology } from '../../scripts/lib/failover-topology.js';
import { sleep } from '../../scripts/lib/redis-servers.js';
import { CommandTimeoutError, RedisConnection, RedisUnavailableError, ReplicationError } from '../../src/index.js';
import { driver, target, uniquePrefix } from './redis.js';

/** The deployment this project fails over, or `undefined` where none runs (skip the file). */
export const failoverKind: FailoverKind | undefined = target === 'standalone' ? 'sentinel' : driver === 'ioredis' ? 'cluster' : undefined;

/** The `durability` the tests give durable modules: one replica, confirmed within 300 ms. */
export const DURABLE = { replicas: 1, waitMs: 300 } as const;

/** Reply deadline of the test connections: a call to a dead primary fails within it. */
export const COMMAND_TIMEOUT_MS = 500;

export interface FailoverFixture {
  /** The file's topology (in a test, after beforeAll). */
  topology(): FailoverTopology;
  /**
   * A connection of its own (its own client) of the project's driver, with the file's key
   * prefix, so that every connection of the file sees the same keys. Closed after the file.
   */
  connect(): Promise<RedisConnection>;
}

/** Starts the file's topology before its tests and stops it (and its connections) after them. */
export function useFailoverTopology(): FailoverFixture {
  let topo: FailoverTopology | undefined;
  const connections: RedisConnection[] = [];
  const prefix = uniquePrefix('failover');
  beforeAll(async () => {
    if (failoverKind) topo = await startFailoverTopology(failoverKind);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close().catch(() => {})));
    await topo?.stop();
  });
  return {
    topology() {
      if (!topo) throw new Error('no failover topology on this project');
      return topo;
    },
    async connect() {
      const t = this.topology();
      const connection = await RedisConnection.connect({ ...t.client, driver }, { prefix, commandTimeoutMs: COMMAND_TIMEOUT_MS });
      connections.push(connection);
      return connection;
    },
  };
}

/** What a caller may see while its primary fails over: a typed error, nothing else. */
export function typedFailure(error: unknown): boolean {
  return error instanceof RedisUnavailableError || error instanceof CommandTimeoutError || error instanceof ReplicationError;
}

/** The errors' names (class and code), counted: for a readable failure message. */
export function errorCounts(errors: readonly unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of errors) {
    const name = e instanceof Error ? `${e.constructor.name}${'code' in e ? ` ${String(e.code)}` : ''}` : String(e);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** A promise's outcome as a value: a rejection never goes unhandled, and its time is measured. */
export async function outcome<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = performance.now();
  try {
    const value = await p;
    return { value, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

/**
 * Calls `op` until it resolves (typed failures are collected in `errors`, anything else
 * throws); returns its value. For the first success after a failover.
 */
export async function untilItWorks<T>(op: () => Promise<T>, errors: unknown[], timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (!typedFailure(err)) throw err;
      errors.push(err);
      if (Date.now() > deadline) throw new Error(`still failing after ${timeoutMs} ms: ${err}`);
      await sleep(50);
    }
  }
}

/** How long a failover test waits for what a failover should bring about (`waitFor`). */
export const FAILOVER_WAIT_MS = 20_000;

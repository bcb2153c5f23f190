// Counts the Redis commands an operation costs from INFO commandstats deltas, summed over
// every primary of the connection (every node of a cluster). Commands run inside Lua are
// counted too (Redis counts them under their own name), so `byCommand` shows both the
// EVALSHA and what it did.
import type { RedisConnection } from '../../src/index.js';

export interface CommandCount {
  /** Calls per lower-case command name (`evalsha`, `set`, `get`, ...). */
  byCommand: Record<string, number>;
  /** Sum of all calls. */
  total: number;
}

type Stats = Map<string, number>;

// What runs in the background rather than as part of an operation: our own INFO snapshots, the
// ready check (INFO) and CLIENT SETINFO of connections opening, cluster clients refreshing their
// slot map, and the shared subscriber connection (un)subscribing channels, which lingers after
// a waiter leaves and may land in a later count. No operation's cost includes these commands.
const CLIENT_HOUSEKEEPING = /^(info|client\|setinfo|cluster\|.*|p?s?subscribe|p?s?unsubscribe)$/;

async function snapshot(connection: RedisConnection): Promise<Stats[]> {
  const nodes = await connection.client.primaries();
  return Promise.all(
    nodes.map(async (node) => {
      const info = String(await node.send(['INFO', 'commandstats']));
      const stats: Stats = new Map();
      for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats.set(m[1] as string, Number(m[2]));
      return stats;
    }),
  );
}

/** Runs `fn` and returns its result with the commands it caused on the server(s). */
export async function countCommands<T>(connection: RedisConnection, fn: () => Promise<T>): Promise<{ result: T } & CommandCount> {
  const before = await snapshot(connection);
  const result = await fn();
  const after = await snapshot(connection);
  const byCommand: Record<string, number> = {};
  let total = 0;
  after.forEach((stats, i) => {
    for (const [cmd, calls] of stats) {
      if (CLIENT_HOUSEKEEPING.test(cmd)) continue;
      const delta = calls - (before[i]?.get(cmd) ?? 0);
      if (delta > 0) {
        byCommand[cmd] = (byCommand[cmd] ?? 0) + delta;
        total += delta;
      }
    }
  });
  return { result, byCommand, total };
}

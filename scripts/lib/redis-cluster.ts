// A local Redis (or Valkey) Cluster of processes started and stopped by pid, optionally
// with one replica per primary and a short node timeout, plus what a failover test needs:
// the primary of a key's slot, cutting a primary's replica off (so that writes are lost),
// waiting until a killed primary's replica took over, and the killed node rejoining.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  binaries,
  cutReplication,
  FAST_SYNC,
  type RedisServer,
  redisCli,
  replicaCaughtUp,
  replicaLinked,
  type ServerKind,
  startRedis,
  waitUntil,
} from './redis-servers.js';

const run = promisify(execFile);

export interface ClusterOptions {
  /** Replicas per primary: `0` (default) or `1` (`--cluster-replicas 1`, twice the processes). */
  replicas?: 0 | 1;
  /**
   * `cluster-node-timeout` in ms. A failover takes about twice this plus an election.
   * Default 5000 without replicas, 1000 with.
   */
  nodeTimeoutMs?: number;
  /** Redis or Valkey. Default env `RP_SERVER`. */
  server?: ServerKind;
  /** More `redis-server` arguments for every node (e.g. `['--rename-command', 'SPUBLISH', '']`). */
  extraArgs?: string[];
}

export interface RedisCluster {
  /** Every process: primaries and replicas, in start order. */
  nodes: RedisServer[];
  /** Seed addresses (`127.0.0.1:port`) of every node. */
  seeds: string[];
  /** The node that serves `key`'s slot now (asked of a live node). */
  primaryOf(key: string): Promise<RedisServer>;
  /** The slot ranges `primary` serves now, as `[first, last]` pairs. */
  slotsOf(primary: RedisServer): Promise<[number, number][]>;
  /** The replicas of `primary` as the cluster sees them now. */
  replicasOf(primary: RedisServer): Promise<RedisServer[]>;
  /**
   * Waits until the replica of `killed` (a primary stopped with `kill()`) has taken over
   * its slots and every live node reports `cluster_state:ok`; returns the new primary.
   */
  waitForFailover(killed: RedisServer, timeoutMs?: number): Promise<RedisServer>;
  /**
   * Freezes the replicas of `primary` and closes their links on it: writes from now on exist
   * on the primary only, so a `failover(primary)` promotes a replica without them.
   */
  cutReplication(primary: RedisServer): Promise<void>;
  /**
   * SIGKILLs `primary`, resumes replicas frozen by `cutReplication`, and waits as
   * `waitForFailover` does; returns the new primary.
   */
  failover(primary: RedisServer, timeoutMs?: number): Promise<RedisServer>;
  /** Resolves once every replica of `primary` has processed every write it has made so far. */
  replicaCaughtUp(primary: RedisServer, timeoutMs?: number): Promise<void>;
  /**
   * Starts a killed node again with its `nodes.conf`: it learns that its replica took over
   * its slots and becomes that node's replica. Resolves once it is in sync.
   */
  rejoin(killed: RedisServer, timeoutMs?: number): Promise<void>;
  /** Stops every process, killed ones included (removes their directories). */
  stop(): Promise<void>;
}

/** One line of `CLUSTER NODES`. */
interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  primaryId: string;
  linkState: string;
  slots: [number, number][];
}

/**
 * A cluster of `size` primaries (default 3) created with `redis-cli --cluster create`;
 * resolves once every node reports `cluster_state:ok` and, with replicas, every replica is
 * in sync and every node knows every other, so a failover can start at once.
 */
export async function startCluster(size = 3, options: ClusterOptions = {}): Promise<RedisCluster> {
  const replicas = options.replicas ?? 0;
  const clusterNodeTimeoutMs = options.nodeTimeoutMs ?? (replicas ? 1000 : 5000);
  // A replica may always take over, however long it was cut off: tests kill primaries on purpose.
  const extraArgs = [...(replicas ? ['--cluster-replica-validity-factor', '0', ...FAST_SYNC] : []), ...(options.extraArgs ?? [])];
  const count = size * (1 + replicas);
  const nodes = await Promise.all(
    Array.from({ length: count }, () => startRedis({ cluster: true, clusterNodeTimeoutMs, extraArgs, server: options.server })),
  );
  const stop = async () => void (await Promise.all(nodes.map((n) => n.stop())));
  const seeds = nodes.map((n) => `127.0.0.1:${n.port}`);
  const cli = binaries(options.server).cli;
  try {
    await run(cli, ['--cluster', 'create', ...seeds, '--cluster-replicas', String(replicas), '--cluster-yes']);
    await waitUntil('the new cluster is ok on every node', 30000, async () => {
      for (const n of nodes) {
        if (!(await redisCli(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
        const view = parseNodes(await redisCli(n.port, 'CLUSTER', 'NODES'));
        if (
          view.length !== count ||
          view.some((l) => l.linkState !== 'connected' || l.flags.some((f) => f !== 'myself' && f !== 'master' && f !== 'slave'))
        ) {
          return false;
        }
        // Every node must know which replica follows which primary: a failover's heir is read
        // from this view (a node may list a replica as a primary of no slots for a moment).
        if (replicas) {
          const primaries = view.filter((l) => l.slots.length > 0);
          const followers = (p: NodeLine) => view.filter((l) => l.primaryId === p.id && l.flags.includes('slave')).length;
          if (primaries.length !== size || primaries.some((p) => followers(p) !== replicas)) return false;
        }
        if (replicas && view.find((l) => l.port === n.port)?.flags.includes('slave')) {
          if (!(await redisCli(n.port, 'INFO', 'replication')).includes('master_link_status:up')) return false;
        }
      }
      return true;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const byPort = (port: number) => nodes.find((n) => n.port === port) as RedisServer;
  const liveView = async () => {
    for (const n of nodes) {
      try {
        return parseNodes(await redisCli(n.port, 'CLUSTER', 'NODES'));
      } catch {
        // Killed or frozen: ask the next one.
      }
    }
    throw new Error('no cluster node answers');
  };
  const slotOf = async (key: string) => {
    for (const n of nodes) {
      try {
        return Number(await redisCli(n.port, 'CLUSTER', 'KEYSLOT', key));
      } catch {
        // Killed: ask the next one.
      }
    }
    throw new Error('no cluster node answers');
  };
  // Node ids never change, so the replica relationships known now identify a failover's heir.
  const initial = await liveView();
  const frozen: RedisServer[] = [];
  const heirOf = (killed: RedisServer) => {
    const deadId = initial.find((l) => l.port === killed.port)?.id;
    const heir = initial.find((l) => l.primaryId === deadId);
    if (!deadId || !heir) throw new Error(`node ${killed.port} was not a primary with a replica`);
    return { deadId, heir };
  };
  const cluster: RedisCluster = {
    nodes,
    seeds,
    stop,
    async primaryOf(key) {
      const slot = await slotOf(key);
      const owner = (await liveView()).find((l) => isPrimary(l) && l.slots.some(([a, b]) => slot >= a && slot <= b));
      if (!owner) throw new Error(`no primary serves slot ${slot}`);
      return byPort(owner.port);
    },
    async slotsOf(primary) {
      return (await liveView()).find((l) => l.port === primary.port)?.slots ?? [];
    },
    async replicasOf(primary) {
      const view = await liveView();
      const id = view.find((l) => l.port === primary.port)?.id;
      return view.filter((l) => l.primaryId === id && l.flags.includes('slave')).map((l) => byPort(l.port));
    },
    async waitForFailover(killed, timeoutMs = 30000) {
      const { deadId, heir } = heirOf(killed);
      for (const f of frozen.splice(0)) f.resume();
      const survivors = nodes.filter((n) => n !== killed);
      await waitUntil(`replica ${heir.port} replaced primary ${killed.port} and the cluster is ok`, timeoutMs, async () => {
        for (const n of survivors) {
          if (!(await redisCli(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
          const view = parseNodes(await redisCli(n.port, 'CLUSTER', 'NODES'));
          const promoted = view.find((l) => l.id === heir.id);
          if (!promoted || !isPrimary(promoted) || promoted.slots.length === 0) return false;
          if (!view.find((l) => l.id === deadId)?.flags.includes('fail')) return false;
        }
        return true;
      });
      return byPort(heir.port);
    },
    async cutReplication(primary) {
      const replicas = await cluster.replicasOf(primary);
      frozen.push(...replicas);
      await cutReplication(primary, replicas);
    },
    async failover(primary, timeoutMs) {
      await primary.kill();
      return cluster.waitForFailover(primary, timeoutMs);
    },
    async replicaCaughtUp(primary, timeoutMs) {
      for (const r of await cluster.replicasOf(primary)) await replicaCaughtUp(primary, r, timeoutMs);
    },
    async rejoin(killed, timeoutMs) {
      const heir = byPort(heirOf(killed).heir.port);
      await killed.restart();
      await replicaLinked(heir, killed, timeoutMs);
    },
  };
  return cluster;
}

function isPrimary(line: NodeLine): boolean {
  return line.flags.includes('master') && !line.flags.includes('fail');
}

// `<id> <ip:port@cport[,hostname]> <flags> <primary> <ping> <pong> <epoch> <link> <slot ranges...>`
function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', addr = '', flags = '', primaryId = '', , , , linkState = '', ...slots] = line.trim().split(' ');
      return {
        id,
        port: Number(addr.split('@')[0]?.split(':').pop()),
        flags: flags.split(','),
        primaryId,
        linkState,
        // Entries in brackets are slots being migrated, not served.
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [a, b] = s.split('-').map(Number) as [number, number | undefined];
            return [a, b ?? a] as [number, number];
          }),
      };
    });
}

// One interface over the two deployments a failover is measured on: Sentinel (a primary,
// its replica, three Sentinels) and a Cluster with one replica per primary, where one
// primary (the victim) fails over. For the reliability tests (test/reliability).
import { keySlot } from '../../src/core/slots.js';
import { startCluster } from './redis-cluster.js';
import { startSentinels } from './redis-sentinel.js';
import type { RedisServer } from './redis-servers.js';

export type FailoverKind = 'sentinel' | 'cluster';

/** What `RedisConnection.connect` takes to reach the deployment (add `driver`). */
export type FailoverClientOptions = { sentinels: { host: string; port: number }[]; name: string } | { clusterNodes: string[] };

export interface FailoverTopology {
  readonly kind: FailoverKind;
  /** How clients reach it. */
  readonly client: FailoverClientOptions;
  /** The primary that `failover()` kills (before it does), or the replica it promoted (after). */
  victim(): RedisServer;
  /**
   * The first of `base`, `base-1`, `base-2`, ... whose hash tag (`tagOf(name)`, default the
   * name itself) lands on the victim's slots: any name on Sentinel.
   */
  onVictim(base: string, tagOf?: (name: string) => string): string;
  /** Resolves once the victim's replica has every write the victim made so far. */
  replicaCaughtUp(): Promise<void>;
  /** Freezes the victim's replica and closes its link: later writes are on the victim only. */
  cutReplication(): Promise<void>;
  /** SIGKILLs the victim, resumes a replica frozen by `cutReplication`, waits until it is promoted and usable. */
  failover(): Promise<void>;
  /** Starts the killed victim again as a replica of the promoted one; resolves once it is in sync. */
  rejoin(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFailoverTopology(kind: FailoverKind): Promise<FailoverTopology> {
  return kind === 'sentinel' ? sentinelTopology() : clusterTopology();
}

async function sentinelTopology(): Promise<FailoverTopology> {
  const topo = await startSentinels();
  let victim = await topo.primary();
  return {
    kind: 'sentinel',
    client: { sentinels: topo.sentinelAddresses, name: topo.name },
    victim: () => victim,
    onVictim: (base) => base,
    replicaCaughtUp: () => topo.replicaCaughtUp(),
    cutReplication: () => topo.cutReplication(),
    async failover() {
      victim = await topo.failover();
    },
    rejoin: () => topo.rejoin(),
    stop: () => topo.stop(),
  };
}

async function clusterTopology(): Promise<FailoverTopology> {
  const cluster = await startCluster(3, { replicas: 1 });
  try {
    let victim = await cluster.primaryOf('failover');
    const killed = victim;
    const slots = await cluster.slotsOf(victim);
    const onVictimSlot = (tag: string) => {
      const slot = keySlot(`{${tag}}`);
      return slots.some(([a, b]) => slot >= a && slot <= b);
    };
    return {
      kind: 'cluster',
      client: { clusterNodes: cluster.seeds },
      victim: () => victim,
      onVictim(base, tagOf = (name) => name) {
        for (let i = 0; i < 10_000; i++) {
          const name = i === 0 ? base : `${base}-${i}`;
          if (onVictimSlot(tagOf(name))) return name;
        }
        throw new Error(`no name like ${base} lands on the victim's slots`);
      },
      replicaCaughtUp: () => cluster.replicaCaughtUp(victim),
      cutReplication: () => cluster.cutReplication(victim),
      async failover() {
        victim = await cluster.failover(killed);
      },
      rejoin: () => cluster.rejoin(killed),
      stop: () => cluster.stop(),
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

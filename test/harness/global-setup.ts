// Starts the real Redis deployments one test project runs against, and stops exactly
// those processes afterwards (also when tests fail). REDIS_URL / REDIS_CLUSTER_NODES
// (and REDIS_INDEPENDENT_URLS for Redlock) use external servers instead.
import type { TestProject } from 'vitest/node';
import { startCluster } from '../../scripts/lib/redis-cluster.js';
import { type RedisServer, startRedis } from '../../scripts/lib/redis-servers.js';

export interface RedisTopology {
  standaloneUrl: string;
  clusterNodes: string[];
  independentUrls: string[];
}

declare module 'vitest' {
  export interface ProvidedContext {
    redis: RedisTopology;
  }
}

export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    await Promise.all(stops.splice(0).map((s) => s().catch(() => {})));
  };
  try {
    const wantCluster = project.config.env?.RP_TARGET === 'cluster';
    let standaloneUrl = process.env.REDIS_URL ?? '';
    if (!standaloneUrl) {
      const s = await startRedis();
      stops.push(s.stop);
      standaloneUrl = s.url;
    }
    let clusterNodes = process.env.REDIS_CLUSTER_NODES?.split(',').filter(Boolean) ?? [];
    if (wantCluster && clusterNodes.length === 0) {
      const c = await startCluster(3);
      stops.push(c.stop);
      clusterNodes = c.nodes.map((n) => `127.0.0.1:${n.port}`);
    }
    let independentUrls = process.env.REDIS_INDEPENDENT_URLS?.split(',').filter(Boolean) ?? [];
    if (independentUrls.length === 0) {
      const servers: RedisServer[] = await Promise.all([startRedis(), startRedis(), startRedis()]);
      for (const s of servers) stops.push(s.stop);
      independentUrls = servers.map((s) => s.url);
    }
    project.provide('redis', { standaloneUrl, clusterNodes, independentUrls });
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}

// A private redis-server with a small `maxmemory` that a test fills to the limit, to see what
// each module does when Redis is full (`noeviction`: writes fail with OOM) or evicts keys.
import { afterEach } from 'vitest';
import { type RedisServer, startRedis } from '../../scripts/lib/redis-servers.js';
import type { RedisConnection, RedisConnectionOptions } from '../../src/index.js';
import { privateConnection } from './private-server.js';

export interface FullServer {
  server: RedisServer;
  connection: RedisConnection;
  /** Writes filler values until Redis refuses a write with OOM. */
  fill(): Promise<void>;
  /** Deletes the filler, so writes work again. */
  free(): Promise<void>;
  close(): Promise<void>;
}

// Big values first, then smaller ones: a refused write's own request buffer counts against
// maxmemory until it is freed, so only a small write refused proves that Redis is really full.
const FILLERS = [64 * 1024, 4096, 256, 16].map((n) => 'x'.repeat(n));

/** A server limited to `maxmemoryMb` with the given eviction policy, and a connection to it. */
export async function startFullServer(
  policy: 'noeviction' | 'allkeys-lru' | 'allkeys-lfu' | 'allkeys-random' | 'volatile-lru' = 'noeviction',
  options: RedisConnectionOptions & { maxmemoryMb?: number } = {},
): Promise<FullServer> {
  const { maxmemoryMb = 4, ...connectionOptions } = options;
  const server = await startRedis({ extraArgs: ['--maxmemory', `${maxmemoryMb}mb`, '--maxmemory-policy', policy] });
  const { connection, close } = await privateConnection(server, connectionOptions);
  let fillers = 0;
  return {
    server,
    connection,
    async fill() {
      if (policy !== 'noeviction') {
        // An evicting server never refuses: write three times its memory, so it evicts all it holds.
        const big = FILLERS[0] as string;
        for (let i = 0; i < (maxmemoryMb * 1024 * 1024 * 3) / big.length; i++) await connection.send(['SET', `filler:${fillers++}`, big]);
        return;
      }
      // Under noeviction a refused write of each size ends that size.
      const fillWith = async (filler: string): Promise<number> => {
        const before = fillers;
        for (let i = 0; i < (maxmemoryMb * 1024 * 1024 * 4) / filler.length; i++) {
          try {
            await connection.send(['SET', `filler:${fillers}`, filler]);
            fillers++;
          } catch (err) {
            if ((err as Error).message.startsWith('OOM')) break;
            throw err;
          }
        }
        return fillers - before;
      };
      for (const filler of FILLERS) await fillWith(filler);
      // The big writes' query buffer stays allocated until Redis shrinks it (within a few of its
      // cron runs), which makes room again: top up until a pause frees nothing more, so that the
      // server stays full however slowly the test goes on.
      for (let round = 0; round < 20; round++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        if ((await fillWith(FILLERS[FILLERS.length - 1] as string)) === 0) break;
      }
    },
    async free() {
      for (let i = 0; i < fillers; i++) await connection.send(['DEL', `filler:${i}`]);
      fillers = 0;
    },
    async close() {
      close();
      await server.stop();
    },
  };
}

/** The modules `checkEviction` reports at risk on an `allkeys-lru` server once `create` made a module's object there. */
export async function modulesAtRiskAfter(create: (connection: RedisConnection) => unknown): Promise<readonly string[]> {
  const full = await startFullServer('allkeys-lru');
  try {
    create(full.connection);
    return (await full.connection.checkEviction()).modulesAtRisk;
  } finally {
    await full.close();
  }
}

/** Full servers of one suite: the returned function starts one (as `startFullServer`), closed after its test. */
export function fullServers(): (...args: Parameters<typeof startFullServer>) => Promise<FullServer> {
  const started: FullServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((f) => f.close()));
  });
  return async (...args) => {
    const full = await startFullServer(...args);
    started.push(full);
    return full;
  };
}

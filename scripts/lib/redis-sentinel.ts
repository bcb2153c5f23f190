// A local Sentinel deployment: one primary, one replica and three Sentinels on free
// loopback ports, every process started and stopped by pid, plus what a failover test
// needs: cut the replica off (so that writes are lost), kill the primary, wait until the
// Sentinels promoted the replica, bring the old primary back as its replica.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  binaries,
  cutReplication,
  freePort,
  type RedisServer,
  redisCli,
  replicaCaughtUp,
  replicaLinked,
  type ServerKind,
  spawnServer,
  startReplicated,
  waitUntil,
} from './redis-servers.js';

export interface SentinelOptions {
  /** The name the Sentinels monitor the primary under. Default `'mymaster'`. */
  name?: string;
  /** Sentinels (quorum is a majority). Default 3. */
  sentinels?: number;
  /** `down-after-milliseconds`: how long the primary must be unreachable before a failover. Default 1000. */
  downAfterMs?: number;
  /** Redis or Valkey. Default env `RP_SERVER`. */
  server?: ServerKind;
}

export interface SentinelTopology {
  /** The monitored name clients pass (`name` in ioredis, `name` in node-redis `createSentinel`). */
  name: string;
  /** The Sentinel processes. */
  sentinels: RedisServer[];
  /** `{ host, port }` of every Sentinel, as both drivers take them. */
  sentinelAddresses: { host: string; port: number }[];
  /** The data servers: the first started as primary, the second as its replica. */
  servers: RedisServer[];
  /** The data server the Sentinels name as primary now. */
  primary(): Promise<RedisServer>;
  /**
   * SIGKILLs the current primary, resumes a replica frozen by `cutReplication`, and waits
   * until every live Sentinel names the replica as primary and it answers `ROLE` as master;
   * returns the new primary.
   */
  failover(timeoutMs?: number): Promise<RedisServer>;
  /**
   * Freezes the replica and closes its link on the primary: writes from now on exist on the
   * primary only, so a `failover()` (which resumes the replica after the kill) promotes a
   * replica without them, deterministically.
   */
  cutReplication(): Promise<void>;
  /** Resolves once the replica has processed every write the primary has made so far. */
  replicaCaughtUp(timeoutMs?: number): Promise<void>;
  /**
   * Starts the primary killed by the last `failover()` again, as a replica of the current
   * primary (as Sentinel would reconfigure it), and resolves once it is in sync.
   */
  rejoin(timeoutMs?: number): Promise<void>;
  /** Stops every process (killed ones included). */
  stop(): Promise<void>;
}

/**
 * Starts a primary, its replica and `sentinels` Sentinels (`<server> <conf> --sentinel`,
 * each with a generated config in its own temp dir, which Sentinel rewrites as it learns);
 * resolves once every Sentinel knows the replica and every other Sentinel.
 */
export async function startSentinels(options: SentinelOptions = {}): Promise<SentinelTopology> {
  const name = options.name ?? 'mymaster';
  const count = options.sentinels ?? 3;
  const downAfterMs = options.downAfterMs ?? 1000;
  const all: RedisServer[] = [];
  const stop = async () => void (await Promise.all(all.map((p) => p.stop())));
  try {
    const { primary, replica } = await startReplicated({ server: options.server });
    all.push(primary, replica);
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < count; i++) {
      const s = await startSentinel(name, primary.port, Math.floor(count / 2) + 1, downAfterMs, options.server);
      all.push(s);
      sentinels.push(s);
    }
    const servers = [primary, replica];
    const ask = async (s: RedisServer, ...args: string[]) => redisCli(s.port, 'SENTINEL', ...args);
    await waitUntil('every Sentinel knows the replica and the other Sentinels', 30000, async () => {
      for (const s of sentinels) {
        const info = fields(await ask(s, 'MASTER', name));
        if (info['num-slaves'] !== '1' || info['num-other-sentinels'] !== String(count - 1)) return false;
      }
      return true;
    });
    const byPort = (port: number) => servers.find((d) => d.port === port);
    const frozen: RedisServer[] = [];
    let killed: RedisServer | undefined;
    const primaryNow = async () => {
      for (const s of sentinels) {
        try {
          const port = Number((await ask(s, 'GET-MASTER-ADDR-BY-NAME', name)).trim().split('\n')[1]);
          const server = byPort(port);
          if (server) return server;
        } catch {
          // A Sentinel that does not answer: ask the next one.
        }
      }
      throw new Error('no Sentinel names a primary');
    };
    return {
      name,
      sentinels,
      sentinelAddresses: sentinels.map((s) => ({ host: s.host, port: s.port })),
      servers,
      primary: primaryNow,
      async failover(timeoutMs = 30000) {
        const old = await primaryNow();
        const heir = servers.find((d) => d !== old) as RedisServer;
        await old.kill();
        killed = old;
        for (const f of frozen.splice(0)) f.resume();
        await waitUntil(`the Sentinels promoted ${heir.port}`, timeoutMs, async () => {
          for (const s of sentinels) {
            const port = Number((await ask(s, 'GET-MASTER-ADDR-BY-NAME', name)).trim().split('\n')[1]);
            if (port !== heir.port) return false;
          }
          return (await redisCli(heir.port, 'ROLE')).startsWith('master');
        });
        return heir;
      },
      async cutReplication() {
        const primary = await primaryNow();
        const replicas = servers.filter((d) => d !== primary);
        frozen.push(...replicas);
        await cutReplication(primary, replicas);
      },
      async replicaCaughtUp(timeoutMs) {
        const primary = await primaryNow();
        for (const r of servers.filter((d) => d !== primary)) await replicaCaughtUp(primary, r, timeoutMs);
      },
      async rejoin(timeoutMs) {
        const old = killed;
        if (!old) throw new Error('no primary was killed');
        const primary = await primaryNow();
        await old.restart(['--replicaof', primary.host, String(primary.port)]);
        killed = undefined;
        await replicaLinked(primary, old, timeoutMs);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startSentinel(
  name: string,
  primaryPort: number,
  quorum: number,
  downAfterMs: number,
  server?: ServerKind,
): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `rp-sentinel-${port}-`));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode no',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} ${quorum}`,
      `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
      // Also the pause before the same primary may be failed over again: short for tests.
      `sentinel failover-timeout ${name} ${Math.max(3 * downAfterMs, 3000)}`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'),
  );
  return spawnServer(binaries(server).server, [conf, '--sentinel'], port, dir);
}

// `SENTINEL MASTER` answers alternating field names and values, one per line.
function fields(text: string): Record<string, string> {
  const lines = text.trim().split('\n');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i] as string] = lines[i + 1] as string;
  return out;
}

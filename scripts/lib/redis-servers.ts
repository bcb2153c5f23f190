// Starts and stops real redis-server (or valkey-server) processes on free loopback ports,
// for the test harness, the examples and the benchmarks. Every process is stopped by the
// pid this module started, never by name.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Which server software to run: Redis (default) or Valkey. */
export type ServerKind = 'redis' | 'valkey';

/** The server software selected by env `RP_SERVER` (`redis`, the default, or `valkey`). */
export const serverKind: ServerKind = parseKind(process.env.RP_SERVER);

function parseKind(value: string | undefined): ServerKind {
  if (value === undefined || value === '' || value === 'redis') return 'redis';
  if (value === 'valkey') return 'valkey';
  throw new Error(`RP_SERVER must be 'redis' or 'valkey', got '${value}'`);
}

/** The server and CLI binaries of a server kind: `redis-server`/`redis-cli` or `valkey-server`/`valkey-cli`. */
export function binaries(kind: ServerKind = serverKind): { server: string; cli: string } {
  return { server: `${kind}-server`, cli: `${kind}-cli` };
}

export interface RedisServer {
  host: string;
  port: number;
  url: string;
  /** The process id (a new one after `restart`). */
  pid: number;
  /** Stops this process (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), as a crash would: no shutdown, no final reply. Resolves once it is gone. */
  kill(): Promise<void>;
  /** Freezes the process (SIGSTOP) so it accepts no replies: a hung server. */
  pause(): void;
  /** Resumes a paused process. */
  resume(): void;
  /**
   * Starts a killed process again on the same port and directory (a cluster node keeps its
   * `nodes.conf`, so it rejoins as what the cluster made of it), with `extraArgs` added to
   * its arguments (e.g. `--replicaof`). Resolves once it answers PING; `pid` is the new one.
   */
  restart(extraArgs?: string[]): Promise<void>;
}

export interface StartOptions {
  port?: number;
  cluster?: boolean;
  /** Cluster nodes only: `cluster-node-timeout` in ms, after which an unreachable node counts as failed. Default 5000. */
  clusterNodeTimeoutMs?: number;
  /** Start as a replica of this primary (`--replicaof`). */
  replicaOf?: { host: string; port: number };
  /** Redis or Valkey. Default {@link serverKind} (env `RP_SERVER`). */
  server?: ServerKind;
  extraArgs?: string[];
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of started) if (p.exitCode === null && p.pid) process.kill(p.pid, 'SIGKILL');
});

/** A free loopback port (and, for cluster nodes, a free bus port at +10000). */
export async function freePort(forCluster = false): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await listenOnce(0);
    if (port > 55000 && forCluster) continue;
    if (!forCluster || (await isFree(port + 10000))) return port;
  }
  throw new Error('no free port found');
}

/** Starts one redis-server with persistence off, bound to 127.0.0.1. Resolves once it answers PING. */
export async function startRedis(options: StartOptions = {}): Promise<RedisServer> {
  // A port found free may be taken before the server binds it (by another test worker, or as
  // a client socket's ephemeral port on a cluster node's bus port): with no port asked for,
  // a server that exits at once is started again on another.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort(options.cluster));
    try {
      return await startRedisOn(port, options);
    } catch (err) {
      if (options.port !== undefined || attempt === 3 || !(err instanceof ServerExitedError)) throw err;
    }
  }
}

/** The server process ended before it answered PING (its reason is in its log, not kept). */
class ServerExitedError extends Error {}

async function startRedisOn(port: number, options: StartOptions): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), `rp-redis-${port}-`));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'];
  if (options.cluster) {
    const timeout = String(options.clusterNodeTimeoutMs ?? 5000);
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', timeout);
  }
  if (options.replicaOf) args.push('--replicaof', options.replicaOf.host, String(options.replicaOf.port));
  args.push(...(options.extraArgs ?? []));
  return spawnServer(binaries(options.server).server, args, port, dir);
}

/**
 * Spawns a server binary that listens on `port` and owns `dir` (removed on stop), and
 * resolves once it answers PING. Sentinels are started through here too.
 */
export async function spawnServer(binary: string, args: string[], port: number, dir: string): Promise<RedisServer> {
  let process_ = await spawnProcess(binary, args, port, dir);
  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: process_.pid,
    pause: () => process.kill(process_.pid, 'SIGSTOP'),
    resume: () => process.kill(process_.pid, 'SIGCONT'),
    async kill() {
      if (process_.running()) process.kill(process_.pid, 'SIGKILL');
      await process_.exited;
    },
    async restart(extraArgs = []) {
      if (process_.running()) throw new Error(`${binary} on port ${port} is still running`);
      started.delete(process_.child);
      process_ = await spawnProcess(binary, [...args, ...extraArgs], port, dir, { keepDir: true });
      server.pid = process_.pid;
    },
    async stop() {
      const { child, pid, running, exited } = process_;
      if (running()) {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => running() && process.kill(pid, 'SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      started.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

interface ServerProcess {
  child: ChildProcess;
  pid: number;
  running(): boolean;
  exited: Promise<void>;
}

async function spawnProcess(
  binary: string,
  args: string[],
  port: number,
  dir: string,
  options: { keepDir?: boolean } = {},
): Promise<ServerProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(child);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  try {
    await waitForPing(binary, port, child, () => stderr);
  } catch (err) {
    if (running() && child.pid) process.kill(child.pid, 'SIGKILL');
    started.delete(child);
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { child, pid: child.pid as number, running, exited };
}

/**
 * Options of a primary whose replicas must be in sync at once: a full sync starts without
 * the default 5 s wait for more replicas to join a diskless transfer.
 */
export const FAST_SYNC = ['--repl-diskless-sync-delay', '0'];

/** A primary and one replica of it, the replica in sync. */
export interface ReplicatedPair {
  primary: RedisServer;
  replica: RedisServer;
  /** Stops both. */
  stop(): Promise<void>;
}

/** Starts a primary and a replica of it; resolves once the replica's link is up (in sync). */
export async function startReplicated(options: Pick<StartOptions, 'server'> = {}): Promise<ReplicatedPair> {
  const primary = await startRedis({ server: options.server, extraArgs: FAST_SYNC });
  const stop = async (replica?: RedisServer) => void (await Promise.all([primary.stop(), replica?.stop()]));
  let replica: RedisServer | undefined;
  try {
    // The replica is a primary after a failover: it gets the fast full sync too.
    replica = await startRedis({ server: options.server, replicaOf: { host: primary.host, port: primary.port }, extraArgs: FAST_SYNC });
    const started = replica;
    await waitUntil('the replica is in sync', 20000, async () =>
      (await redisCli(started.port, 'INFO', 'replication')).includes('master_link_status:up'),
    );
    return { primary, replica: started, stop: () => stop(started) };
  } catch (err) {
    await stop(replica);
    throw err;
  }
}

/**
 * Freezes `replicas` (SIGSTOP) and closes their links on `primary` (`CLIENT KILL TYPE
 * replica`): from now on writes reach the primary only, as when replicas fall behind just
 * before their primary dies. Freezing alone would not do: what the primary already sent
 * waits in the frozen replica's socket buffer and would be applied once it resumes.
 */
export async function cutReplication(primary: RedisServer, replicas: readonly RedisServer[]): Promise<void> {
  for (const r of replicas) r.pause();
  await redisCli(primary.port, 'CLIENT', 'KILL', 'TYPE', 'replica');
}

/** Resolves once `replica` has processed everything `primary` had written when this was called. */
export async function replicaCaughtUp(primary: RedisServer, replica: RedisServer, timeoutMs = 10000): Promise<void> {
  const offset = replicationField(await redisCli(primary.port, 'INFO', 'replication'), 'master_repl_offset');
  await waitUntil(`replica ${replica.port} caught up with ${primary.port}`, timeoutMs, async () => {
    const info = await redisCli(replica.port, 'INFO', 'replication');
    return info.includes('master_link_status:up') && replicationField(info, 'slave_repl_offset') >= offset;
  });
}

/** Resolves once `replica` is linked to `primary` and in sync (a full sync done). */
export async function replicaLinked(primary: RedisServer, replica: RedisServer, timeoutMs = 20000): Promise<void> {
  await waitUntil(`replica ${replica.port} in sync with ${primary.port}`, timeoutMs, async () => {
    const info = await redisCli(replica.port, 'INFO', 'replication');
    if (!info.includes('master_link_status:up') || !info.includes(`master_port:${primary.port}`)) return false;
    return (await redisCli(primary.port, 'INFO', 'replication')).includes(`port=${replica.port},state=online`);
  });
}

function replicationField(info: string, field: string): number {
  return Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
}

/** Runs the selected kind's CLI (`redis-cli` / `valkey-cli`) against one local server; returns its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(binaries().cli, ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout;
}

/** Polls `check` every 100 ms until it returns a value other than `undefined`/`false`; throws `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      // A node that is down or still starting answers with an error: try again until the deadline.
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${last ? `: ${last}` : ''}`);
    await sleep(100);
  }
}

async function waitForPing(binary: string, port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new ServerExitedError(`${binary} on port ${port} exited (${child.exitCode}): ${stderr()}`);
    if (await ping(port)) return;
    await sleep(25);
  }
  throw new Error(`${binary} on port ${port} did not answer PING: ${stderr()}`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function isFree(port: number): Promise<boolean> {
  try {
    await listenOnce(port);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// Starts and stops real redis-server processes on free loopback ports, for the test
// harness, the examples and the benchmarks. Every process is stopped by the pid this
// module started, never by name.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RedisServer {
  host: string;
  port: number;
  url: string;
  pid: number;
  /** Stops this process (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
  /** Freezes the process (SIGSTOP) so it accepts no replies: a hung server. */
  pause(): void;
  /** Resumes a paused process. */
  resume(): void;
}

export interface StartOptions {
  port?: number;
  cluster?: boolean;
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
  const port = options.port ?? (await freePort(options.cluster));
  const dir = mkdtempSync(join(tmpdir(), `rp-redis-${port}-`));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'];
  if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000');
  args.push(...(options.extraArgs ?? []));
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(child);
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPing(port, child, () => stderr);
  const pid = child.pid as number;
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    pause: () => process.kill(pid, 'SIGSTOP'),
    resume: () => process.kill(pid, 'SIGCONT'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => child.exitCode === null && process.kill(pid, 'SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      started.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A three-primary Redis Cluster created with `redis-cli --cluster create`. */
export async function startCluster(size = 3): Promise<{ nodes: RedisServer[]; stop(): Promise<void> }> {
  const nodes = await Promise.all(Array.from({ length: size }, () => startRedis({ cluster: true })));
  try {
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20000;
    for (const n of nodes) {
      while (!(await redisCli(n.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error('cluster did not reach state ok');
        await sleep(100);
      }
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  }
  return { nodes, stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))) };
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout;
}

async function waitForPing(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${stderr()}`);
    if (await ping(port)) return;
    await sleep(25);
  }
  throw new Error(`redis-server on port ${port} did not answer PING: ${stderr()}`);
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

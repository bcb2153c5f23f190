// Child processes of the queue's multi-process tests: each runs test/queue/fixtures/ops-child.ts
// (bundled from src once per file) against the project's target and driver.
import { type ChildProcess, spawn } from 'node:child_process';
import type { RedisConnection } from '../../src/index.js';
import { bundleFixture } from '../harness/bundle-fixture.js';
import { closeAfterAll, driver, target, topology } from '../harness/redis.js';
import { closeAfterTest } from './helpers.js';

let bundled: Promise<string> | undefined;

/** Options of one child. */
export interface ChildOptions {
  role: 'worker' | 'listener';
  queue: string;
  consumer?: string;
  queueOptions?: object;
  workerOptions?: object;
  sleepMs?: number;
  schedules?: number;
}

/** The environment a child process needs to reach the project's Redis with `connection`'s prefix. */
export function childEnv(connection: RedisConnection): NodeJS.ProcessEnv {
  const topo = topology();
  return {
    ...process.env,
    RP_URL: topo.standaloneUrl,
    RP_CLUSTER_NODES: target === 'cluster' ? topo.clusterNodes.join(',') : '',
    RP_DRIVER: driver,
    RP_PREFIX: connection.prefix,
  };
}

/** Starts a child on `connection`'s prefix; resolves once it printed `ready`. Killed after the file. */
export async function startChild(connection: RedisConnection, options: ChildOptions): Promise<ChildProcess> {
  bundled ??= bundleFixture('test/queue/fixtures/ops-child.ts');
  const file = await bundled;
  const child = spawn(process.execPath, [file], {
    env: {
      ...childEnv(connection),
      RP_ROLE: options.role,
      RP_QUEUE: options.queue,
      RP_CONSUMER: options.consumer ?? '',
      RP_QUEUE_OPTIONS: JSON.stringify(options.queueOptions ?? {}),
      RP_WORKER_OPTIONS: JSON.stringify(options.workerOptions ?? {}),
      RP_SLEEP_MS: String(options.sleepMs ?? 0),
      RP_SCHEDULES: String(options.schedules ?? 0),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  closeAfterAll({ close: async () => void child.kill('SIGKILL') });
  closeAfterTest({ close: () => kill(child) });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d) => String(d).includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  return child;
}

/** Kills a child with SIGKILL and waits for it to be gone. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** The keys the child's handler writes, under the test connection's prefix. */
export function childKeys(connection: RedisConnection) {
  const key = (part: string) => connection.keys('test').key('ops', part);
  return { running: key('running'), samples: key('samples'), done: key('done'), deliveries: key('deliveries'), events: key('events') };
}

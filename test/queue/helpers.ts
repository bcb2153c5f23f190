// Shared by the queue tests: a queue on a fresh prefix and a way to wait for a condition.
import { afterEach } from 'vitest';
import type { RedisServer } from '../../scripts/lib/redis-servers.js';
import type { RedisConnection } from '../../src/index.js';
import { StreamQueue, type StreamQueueOptions } from '../../src/queue/index.js';
import { privateConnection } from '../harness/private-server.js';
import { closeAfterAll, testConnection } from '../harness/redis.js';

export async function freshQueue<T = unknown>(
  options: Partial<StreamQueueOptions> = {},
): Promise<{ connection: RedisConnection; queue: StreamQueue<T> }> {
  const connection = await testConnection();
  const queue = new StreamQueue<T>({ connection, name: 'jobs', ...options });
  return { connection, queue };
}

/**
 * A queue named `name` on a private server, used as the ACL user `acker` (all rights to start
 * with), and an admin connection that can take rights away from that user: a test's way to have
 * Redis refuse some of the queue's calls for real.
 */
export async function queueOfRefusableUser(
  server: RedisServer,
  name: string,
): Promise<{ admin: RedisConnection; connection: RedisConnection; queue: StreamQueue<string> }> {
  const admin = await privateConnection(server);
  closeAfterAll({ close: async () => admin.close() });
  await admin.connection.send(['ACL', 'SETUSER', 'acker', 'on', '>secret', '~*', '&*', '+@all']);
  const side = await privateConnection(`redis://acker:secret@127.0.0.1:${server.port}`);
  closeAfterAll({ close: async () => side.close() });
  return { admin: admin.connection, connection: side.connection, queue: new StreamQueue<string>({ connection: side.connection, name }) };
}

/**
 * Adds a job and lets a consumer named `ghost` fetch it and never acknowledge it, as a worker
 * that died after fetching: the job stays pending, with no lease, for a reclaim to take over.
 */
export async function stalledJob<T>(connection: RedisConnection, queue: StreamQueue<T>, data: T): Promise<void> {
  await queue.ensureGroup();
  const { stream } = queue.keys;
  await queue.add('x', data);
  await connection.send(['XREADGROUP', 'GROUP', queue.group, 'ghost', 'COUNT', 1, 'STREAMS', stream, '>'], stream);
}

/** A promise and the function that resolves it: a job handler awaits it until the test lets it go on. */
export function latch(): [opened: Promise<void>, open: () => void] {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return [opened, open];
}

export { waitFor } from '../harness/wait-for.js';

/** Connections open on every primary (each node counts its own). */
export async function clientCount(connection: RedisConnection): Promise<number> {
  let n = 0;
  for (const node of await connection.client.primaries())
    n += String(await node.send(['CLIENT', 'LIST']))
      .trim()
      .split('\n').length;
  return n;
}

// Workers and child processes of one test, closed when it ends: background workers of earlier
// tests would otherwise show up in a later test's command count.
const perTest: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(perTest.splice(0).map((close) => close().catch(() => {})));
});

/** Closes `resource` when the current test ends. */
export function closeAfterTest<R extends { close(...args: never[]): Promise<unknown> }>(
  resource: R,
  close: () => Promise<unknown> = () => resource.close(),
): R {
  perTest.push(close);
  return resource;
}

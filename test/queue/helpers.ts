// Shared by the queue tests: a queue on a fresh prefix and a way to wait for a condition.
import type { RedisConnection } from '../../src/index.js';
import { StreamQueue, type StreamQueueOptions } from '../../src/queue/index.js';
import { testConnection } from '../harness/redis.js';

export async function freshQueue<T = unknown>(
  options: Partial<StreamQueueOptions> = {},
): Promise<{ connection: RedisConnection; queue: StreamQueue<T> }> {
  const connection = await testConnection();
  const queue = new StreamQueue<T>({ connection, name: 'jobs', ...options });
  return { connection, queue };
}

/** Polls `check` every 20 ms until it is true; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

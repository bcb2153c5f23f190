// Shared by the cache tests: the default key layout, a loader that counts its calls, a watch on the shared subscriber,
// and the private servers of a describe block.
import { afterAll } from 'vitest';
import { CacheLayout } from '../../src/cache/layout.js';
import type { RedisConnection } from '../../src/index.js';
import { privateServers } from '../harness/private-server.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The key layout of a cache on `connection` with the default namespace and bucket count (64 on a cluster, else 1). */
export function defaultLayout(connection: RedisConnection): CacheLayout {
  return new CacheLayout(connection.keys('cache'), connection.client.isCluster ? 64 : 1);
}

/** The keys such a cache uses for `key`: its entry, load guard, tag sets. */
export function keysOf(connection: RedisConnection, key: string) {
  return defaultLayout(connection).of(key);
}

/** A loader returning `value(n)` on its n-th call (after `delayMs`), with the number of calls in `calls`. */
export function counter<T>(value: (n: number) => T, delayMs = 0) {
  const loader = async () => {
    loader.calls++;
    if (delayMs) await sleep(delayMs);
    return value(loader.calls);
  };
  loader.calls = 0;
  return loader;
}

/** Whether `promise` settles within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Records the shared subscriber's losses and recoveries. */
export async function watchSubscriber(connection: RedisConnection): Promise<string[]> {
  const events: string[] = [];
  const sub = await connection.subscriber();
  sub.onDisconnect?.(() => events.push('lost'));
  sub.onReconnect?.(() => events.push('back'));
  return events;
}

/**
 * Call inside a describe block: starts the private servers its tests need (all are stopped
 * after the block, see `privateServers`) and records the unhandled rejections seen meanwhile
 * (a test expects none).
 */
export function privateServersOfSuite(): { startServer: ReturnType<typeof privateServers>; unhandled: unknown[] } {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  return { startServer: privateServers(), unhandled };
}

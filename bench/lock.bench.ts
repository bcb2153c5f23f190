// FencedLock (with fencing) against redis-semaphore's Mutex and redlock, on distinct keys
// and on one hot key with 50 in flight; our Semaphore against redis-semaphore's. Every
// library uses its own ioredis client to the same server, TTL 10 s.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { FencedLock, Semaphore } from 'redis-patterns/lock';
import { Mutex, Semaphore as PeerSemaphore } from 'redis-semaphore';
// @ts-expect-error redlock 5 beta's package `exports` hide its typings (dist/index.d.ts)
import RedlockPeer from 'redlock';
import type { BenchContext } from './lib/types.js';

interface RedlockLike {
  acquire(resources: string[], ttlMs: number): Promise<{ release(): Promise<unknown> }>;
}
const Redlock = RedlockPeer as new (clients: Redis[], settings: Record<string, number>) => RedlockLike;

const TTL = 10_000;
const CONCURRENCY = 50;

export default async function lockBench(ctx: BenchContext): Promise<void> {
  const ours = new Redis(ctx.redisUrl);
  const peer = new Redis(ctx.redisUrl);
  const connection = RedisConnection.from(ours, { prefix: 'bench' });
  const locks = new FencedLock({ connection, ttlMs: TTL, waitMs: 30_000 });
  const semaphore = new Semaphore({ connection, limit: 5, ttlMs: TTL, waitMs: 30_000 });
  // A contender that keeps failing retries every 10 ms (redis-semaphore's default retryInterval).
  const redlock = new Redlock([peer], { retryCount: 3000, retryDelay: 10, retryJitter: 10 });
  const mutexOptions = { lockTimeout: TTL, acquireTimeout: 30_000, retryInterval: 10 };

  const cases: [string, (key: (i: number) => string) => Record<string, (i: number) => Promise<unknown>>][] = [
    [
      'lock',
      (key) => ({
        'redis-patterns FencedLock': async (i) => (await locks.acquire(key(i))).release(),
        'redis-semaphore Mutex': async (i) => {
          const m = new Mutex(peer, key(i), mutexOptions);
          await m.acquire();
          await m.release();
        },
        redlock: async (i) => (await redlock.acquire([`rl:${key(i)}`], TTL)).release(),
      }),
    ],
    [
      'semaphore(5)',
      (key) => ({
        'redis-patterns Semaphore': async (i) => (await semaphore.acquire(key(i))).release(),
        'redis-semaphore Semaphore': async (i) => {
          const s = new PeerSemaphore(peer, key(i), 5, mutexOptions);
          await s.acquire();
          await s.release();
        },
      }),
    ],
  ];
  try {
    for (const [suite, make] of cases) {
      for (const [operation, key] of [
        ['acquire+release, distinct keys', (i: number) => `${suite}:k${i}`],
        ['acquire+release, one hot key', () => `${suite}:hot`],
      ] as const) {
        const libs = make(key);
        const names = Object.keys(libs);
        const reference = names.find((n) => n.startsWith('redis-semaphore')) as string;
        await ctx.compare(
          [reference, ...names.filter((n) => n !== reference)].map((library) => ({
            suite,
            operation,
            library,
            concurrency: CONCURRENCY,
            op: libs[library] as (i: number) => Promise<unknown>,
            ...(library === reference ? {} : { reference }),
          })),
        );
      }
    }
  } finally {
    await connection.close();
    await ours.quit();
    await peer.quit();
  }
}

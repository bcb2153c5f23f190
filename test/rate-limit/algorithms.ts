// The five limiters behind one factory, so behaviour every algorithm promises is tested
// once for all of them: `limit` units per `windowMs` (bucket: capacity `limit` refilled by
// `limit` per window; GCRA: `limit` per period with a burst of `limit`).
import type { RedisConnection } from '../../src/index.js';
import {
  FixedWindowLimiter,
  GcraLimiter,
  type RateLimiter,
  type RateLimiterOptions,
  SlidingWindowCounterLimiter,
  SlidingWindowLogLimiter,
  TokenBucketLimiter,
} from '../../src/rate-limit/index.js';

export type Extra = Omit<RateLimiterOptions, 'connection'>;
export interface Algorithm {
  name: string;
  make(connection: RedisConnection, limits: readonly [number, number][], extra?: Extra): RateLimiter;
}

const windows = (limits: readonly [number, number][]) => limits.map(([limit, windowMs]) => ({ limit, windowMs }));

export const algorithms: Algorithm[] = [
  { name: 'fixed window', make: (connection, l, extra) => new FixedWindowLimiter({ connection, ...extra, limits: windows(l) }) },
  { name: 'sliding log', make: (connection, l, extra) => new SlidingWindowLogLimiter({ connection, ...extra, limits: windows(l) }) },
  {
    name: 'sliding counter',
    make: (connection, l, extra) => new SlidingWindowCounterLimiter({ connection, ...extra, limits: windows(l) }),
  },
  {
    name: 'token bucket',
    make: (connection, l, extra) =>
      new TokenBucketLimiter({
        connection,
        ...extra,
        limits: l.map(([capacity, windowMs]) => ({ capacity, refillRate: capacity, refillIntervalMs: windowMs })),
      }),
  },
  {
    name: 'gcra',
    make: (connection, l, extra) => new GcraLimiter({ connection, ...extra, limits: l.map(([limit, periodMs]) => ({ limit, periodMs })) }),
  },
];

/** Redis's clock in ms (the clock every script reads). */
export async function serverMs(connection: RedisConnection): Promise<number> {
  const [s, us] = (await connection.send(['TIME'])) as [string, string];
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Sleeps until Redis's clock is `phase` (0..1) of the way into an epoch-aligned window of `windowMs`. */
export async function waitForPhase(connection: RedisConnection, windowMs: number, phase: number): Promise<void> {
  const now = await serverMs(connection);
  const target = Math.floor(now / windowMs) * windowMs + phase * windowMs;
  const wait = target > now ? target - now : target + windowMs - now;
  await new Promise((r) => setTimeout(r, wait));
}

/**
 * Waits, when fewer than `marginMs` of the current epoch-aligned `windowMs` window are left on
 * Redis's clock, until the next window starts: a test's checks then all count in one fixed
 * window however the clock stands when it begins (at most `marginMs` of waiting).
 */
export async function clearOfBoundary(connection: RedisConnection, windowMs: number, marginMs = 3000): Promise<void> {
  const left = windowMs - ((await serverMs(connection)) % windowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 5));
}

/** Every key this connection's rate limiters wrote, on every primary. */
export async function rateLimitKeys(connection: RedisConnection): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of connection.scan(connection.keys('rate-limit').pattern())) keys.push(...batch);
  return keys;
}

// Gives an example a real Redis: REDIS_URL if set, otherwise an embedded redis-server
// started on a free loopback port for the example's lifetime and stopped by its pid.
import { startRedis } from '../../scripts/lib/redis-servers.js';

export async function withRedis(main: (url: string) => Promise<void>): Promise<void> {
  const server = process.env.REDIS_URL ? undefined : await startRedis();
  const url = process.env.REDIS_URL ?? (server?.url as string);
  try {
    await main(url);
  } finally {
    await server?.stop();
  }
}

/** Fails the example (non-zero exit) when a claim it prints does not hold. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) {
    console.error(`example check failed: ${message}`);
    process.exitCode = 1;
    throw new Error(message);
  }
}

// The physical limit every module is measured against: raw GET, SET and a trivial
// EVALSHA on one connection of each client library.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RedisConnection } from 'redis-patterns';
import { defineScript } from 'redis-patterns/kit';
import type { BenchContext } from './lib/types.js';

const TRIVIAL = 'return 1';
const trivial = defineScript<[]>('bench/trivial', TRIVIAL, { keys: 0 });

export default async function rawBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const nr = createClient({ url: ctx.redisUrl });
  await nr.connect();
  const sha = String(await io.script('LOAD', TRIVIAL));
  // The same script through core's runner: the cost of the command timeout and error typing.
  const ioConn = RedisConnection.from(io);
  const nrConn = RedisConnection.from(nr);
  await io.set('bench:raw:k', 'v');
  try {
    for (const concurrency of [1, 50]) {
      const cases: [string, (i: number) => Promise<unknown>, (i: number) => Promise<unknown>][] = [
        ['GET', () => io.get('bench:raw:k'), () => nr.get('bench:raw:k')],
        ['SET', (i) => io.set(`bench:raw:${i % 1000}`, 'v'), (i) => nr.set(`bench:raw:${i % 1000}`, 'v')],
        ['EVALSHA return 1', () => io.evalsha(sha, 0), () => nr.evalSha(sha)],
      ];
      for (const [operation, ioOp, nrOp] of cases) {
        const extra =
          operation === 'EVALSHA return 1'
            ? [
                {
                  suite: 'raw',
                  operation,
                  library: 'RedisConnection.run (ioredis)',
                  concurrency,
                  op: () => ioConn.run(trivial, [], []),
                  reference: 'ioredis',
                },
                {
                  suite: 'raw',
                  operation,
                  library: 'RedisConnection.run (node-redis)',
                  concurrency,
                  op: () => nrConn.run(trivial, [], []),
                  reference: 'node-redis',
                },
              ]
            : [];
        await ctx.compare([
          { suite: 'raw', operation, library: 'ioredis', concurrency, op: ioOp },
          { suite: 'raw', operation, library: 'node-redis', concurrency, op: nrOp, reference: 'ioredis' },
          ...extra,
        ]);
      }
    }
  } finally {
    await io.quit();
    await nr.close();
  }
}

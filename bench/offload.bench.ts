// OffloadStore.update against the naive client code (HSET the fields, then SADD the id to a
// dirty set: two round trips, no version, so a sync cannot tell whether a record changed while
// it was being flushed), and a full sync of 2,000 dirty records in batches of 100.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { OffloadStore } from 'redis-patterns/offload';
import type { BenchContext } from './lib/types.js';
import { versus } from './lib/versus.js';

const RECORDS = 2000;

export default async function offloadBench(ctx: BenchContext): Promise<void> {
  const io = new Redis(ctx.redisUrl);
  const store = new OffloadStore({ connection: RedisConnection.from(io, { prefix: `bench-${Date.now()}` }), name: 'appointments' });
  const id = (i: number) => `appt-${i % RECORDS}`;
  const naiveUpdate = async (i: number) => {
    await io.hset(`bench:naive-appt:${id(i)}`, 'status', 'checked-in', 'room', `R${i % 9}`);
    return io.sadd('bench:naive-dirty', id(i));
  };
  try {
    for (const concurrency of [1, 50]) {
      await versus(ctx, 'offload', concurrency, {
        update: [
          ['naive HSET + SADD dirty', naiveUpdate],
          ['OffloadStore.update', (i) => store.update(id(i), { status: 'checked-in', room: `R${i % 9}` })],
        ],
      });
    }
    // Each op: make all records dirty again, then drain them (16 shards, batches of 100, a no-op flush).
    await ctx.run({
      suite: 'offload',
      operation: `update ${RECORDS} + sync`,
      library: 'OffloadStore.sync (batch 100)',
      concurrency: 1,
      op: async () => {
        await Promise.all(Array.from({ length: RECORDS }, (_, i) => store.update(id(i), { seen: i })));
        await store.sync(async () => {}, { batchSize: 100 });
      },
    });
  } finally {
    await io.del('bench:naive-dirty', ...Array.from({ length: RECORDS }, (_, i) => `bench:naive-appt:${id(i)}`));
    await io.quit();
  }
}

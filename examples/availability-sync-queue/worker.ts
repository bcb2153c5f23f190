// One worker process of the availability-sync example: applies provider-availability
// updates from the external scheduling system to our store. The handler is idempotent
// (a re-delivered update writes the same values again), because delivery is at least once.
import { RedisConnection } from 'redis-patterns';
import { StreamQueue } from 'redis-patterns/queue';
import { type AvailabilityUpdate, QUEUE, storeKeys } from './shared.js';

const [url, name] = process.argv.slice(2) as [string, string];
const connection = await RedisConnection.connect(url, { prefix: 'clinic' });
const queue = new StreamQueue<AvailabilityUpdate>({ connection, name: QUEUE });
const keys = storeKeys(connection);
let applied = 0;

const worker = await queue.process(
  async (job) => {
    const { providerId, slots } = job.data;
    await new Promise((r) => setTimeout(r, 10)); // the call to the scheduling system
    if (providerId.startsWith('retired-')) throw new Error(`scheduling system: provider ${providerId} no longer exists`);
    // Idempotent: HSET of the same slots and SADD of the same job id are harmless twice.
    await connection.pipeline(
      [
        ['HSET', keys.availability, providerId, JSON.stringify(slots)],
        ['SADD', keys.applied, job.id],
        ['INCR', keys.runs],
      ],
      { routeKey: keys.availability },
    );
    applied++;
    if (applied % 10 === 0) process.stdout.write(`${name} applied ${applied}\n`);
  },
  { concurrency: 8, consumer: name, visibilityTimeoutMs: 1000, backoff: { baseMs: 50, maxMs: 200 }, promoteIntervalMs: 50 },
);
worker.on('deadLettered', (job, err) => process.stdout.write(`${name} dead-lettered ${job.id}: ${err.message}\n`));

// SIGTERM: graceful shutdown, finishing what is in flight.
process.once('SIGTERM', async () => {
  const { abandoned } = await worker.close(5000);
  process.stdout.write(`${name} closed, ${abandoned} abandoned\n`);
  await connection.close();
  process.exit(0);
});
process.stdout.write(`${name} ready\n`);

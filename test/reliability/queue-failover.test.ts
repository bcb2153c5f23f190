// StreamQueue across the failover of its primary (Sentinel, or the Cluster shard of the
// queues), the replica cut off (frozen, its link closed) before the primary is killed so that
// unreplicated writes are lost deterministically. With `durability`, a producer adding all
// along (retrying each job with its jobId until an add resolves) never loses a job whose add
// resolved, and a worker running all along processes every one of them at least once
// (duplicates counted); adds while the replica is cut off reject with ReplicationError.
// Without it, adds made then resolve and the jobs are gone after the failover.
import { describe, expect, it } from 'vitest';
import { sleep } from '../../scripts/lib/redis-servers.js';
import { ReplicationError } from '../../src/index.js';
import { StreamQueue } from '../../src/queue/index.js';
import {
  DURABLE,
  errorCounts,
  FAILOVER_WAIT_MS,
  failoverKind,
  outcome,
  typedFailure,
  untilItWorks,
  useFailoverTopology,
} from '../harness/failover.js';
import { driver } from '../harness/redis.js';
import { waitFor } from '../harness/wait-for.js';

describe.skipIf(!failoverKind)(`StreamQueue across a ${failoverKind} failover via ${driver}`, () => {
  const fixture = useFailoverTopology();

  it('durable: every job whose add resolved is processed, adds while unreplicated are refused and succeed again by jobId; plain: those adds are lost', async (context) => {
    const topo = fixture.topology();
    // A WAIT holds its connection until replicas answer: the producer, the probe and the
    // worker each have their own.
    const name = topo.onVictim('jobs');
    const queue = new StreamQueue<number>({ connection: await fixture.connect(), name, durability: DURABLE });
    const prober = new StreamQueue<number>({ connection: await fixture.connect(), name, durability: DURABLE });
    const consumer = new StreamQueue<number>({ connection: await fixture.connect(), name });
    const plain = new StreamQueue<number>({ connection: await fixture.connect(), name: topo.onVictim('plain-jobs') });
    const producerErrors: unknown[] = [];
    const workerErrors: unknown[] = [];
    const processed = new Map<string, number>();
    const worker = await consumer.process(
      async (job) => {
        processed.set(job.id, (processed.get(job.id) ?? 0) + 1);
      },
      { concurrency: 4, blockMs: 200, visibilityTimeoutMs: 1500, backoff: { baseMs: 50 } },
    );
    worker.on('error', (err) => workerErrors.push(err));

    // One job at a time, each retried with its jobId until an add resolves.
    const resolved: string[] = [];
    let producing = true;
    const producer = (async () => {
      for (let n = 0; producing; n++) {
        const jobId = `job-${n}`;
        while (producing) {
          try {
            await queue.add('sync', n, { jobId });
            resolved.push(jobId);
            break;
          } catch (err) {
            producerErrors.push(err);
            await sleep(20);
          }
        }
        await sleep(5);
      }
    })();

    try {
      await waitFor(() => processed.size >= 10, FAILOVER_WAIT_MS, 'jobs flow');
      await plain.add('sync', -1, { jobId: 'before' });
      await topo.replicaCaughtUp();

      await topo.cutReplication();
      const refused = await outcome(prober.add('sync', -2, { jobId: 'cut-off' }));
      expect(refused.error).toBeInstanceOf(ReplicationError);
      expect(refused.ms).toBeGreaterThanOrEqual(DURABLE.waitMs - 5);
      expect(refused.ms).toBeLessThan(DURABLE.waitMs + 1500);
      const unreplicated = await plain.addBulk(
        Array.from({ length: 10 }, (_, i) => ({ name: 'sync', data: i, options: { jobId: `lost-${i}` } })),
      );
      expect(unreplicated.every((r) => r.added)).toBe(true);
      expect((await plain.counts()).waiting).toBe(11);
      await waitFor(
        () => producerErrors.some((e) => e instanceof ReplicationError),
        FAILOVER_WAIT_MS,
        'the producer meets ReplicationError',
      );

      await topo.failover();
      // The plain adds made while the replica was cut off are gone; the one before is there.
      const after = await untilItWorks(() => plain.counts(), []);
      expect(after.waiting).toBe(1);
      await context.annotate(
        `plain queue: ${unreplicated.length} of ${unreplicated.length} adds that resolved while unreplicated were lost`,
      );

      // The new primary needs a replica of its own before durable adds resolve again.
      await topo.rejoin();
      // A try whose WAIT timed out while the rejoin was under way did add the job: the next try
      // then finds its id taken (added: false). Either way it must be processed (checked below).
      await untilItWorks(() => prober.add('sync', -2, { jobId: 'cut-off' }), []);
      resolved.push('cut-off');
      const target = resolved.length + 10;
      await waitFor(() => resolved.length >= target, FAILOVER_WAIT_MS, 'the producer adds again');
    } finally {
      producing = false;
      await producer;
    }
    await waitFor(() => resolved.every((id) => processed.has(id)), 30_000, 'every job whose add resolved is processed').catch((err) => {
      throw new Error(`${err}: missing ${resolved.filter((id) => !processed.has(id)).join(', ')}`);
    });
    await worker.close(2000);

    const duplicates = [...processed.values()].reduce((sum, n) => sum + n - 1, 0);
    await context.annotate(
      `durable queue: ${resolved.length} jobs added, all processed, ${duplicates} processed twice; producer saw ${JSON.stringify(errorCounts(producerErrors))}`,
    );
    expect(producerErrors.filter((e) => !typedFailure(e)).map(String)).toEqual([]);
    expect(workerErrors.filter((e) => !typedFailure(e)).map(String)).toEqual([]);
  }, 90_000);
});

// Provider-availability sync: a producer enqueues updates from the external scheduling
// system, two worker processes apply them, one is killed with SIGKILL mid-run. The survivor
// reclaims what the dead one held; every update is accounted for (applied, or dead-lettered
// with its error when the scheduling system keeps rejecting it).
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisConnection } from 'redis-patterns';
import { StreamQueue } from 'redis-patterns/queue';
import { check, withRedis } from '../_shared/redis.js';
import { type AvailabilityUpdate, QUEUE, storeKeys } from './shared.js';

const here = dirname(fileURLToPath(import.meta.url));
const UPDATES = 300;
const RETIRED = 3;

function startWorker(url: string, name: string, onLine: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'worker.ts'), url, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) onLine(line);
  });
  return child;
}

function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    while (!(await condition())) {
      check(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
}

await withRedis(async (url) => {
  const connection = await RedisConnection.connect(url, { prefix: 'clinic' });
  const queue = new StreamQueue<AvailabilityUpdate>({ connection, name: QUEUE, defaultAttempts: 3 });
  const keys = storeKeys(connection);
  try {
    // Producer: one update per provider; the job id makes a re-sent update a no-op.
    const updates = Array.from({ length: UPDATES }, (_, i) => ({
      name: 'availability',
      data: { providerId: i < RETIRED ? `retired-${i}` : `p-${i}`, slots: [`2026-11-23T09:${String(i % 60).padStart(2, '0')}`] },
      options: { jobId: `avail:${i}` },
    }));
    await queue.addBulk(updates);
    const again = await queue.addBulk(updates.slice(0, 50));
    check(
      again.every((r) => !r.added),
      're-sent updates are deduplicated',
    );
    console.log(`producer: enqueued ${UPDATES} updates (50 re-sent ones deduplicated)`, await queue.counts());

    const ready = new Set<string>();
    let aApplied = 0;
    const log = (line: string) => {
      if (line.endsWith(' ready')) ready.add(line.split(' ')[0] as string);
      const m = line.match(/^worker-a applied (\d+)/);
      if (m) aApplied = Number(m[1]);
      if (line.includes('dead-lettered') || line.includes('closed')) console.log(`  ${line}`);
    };
    const a = startWorker(url, 'worker-a', log);
    const b = startWorker(url, 'worker-b', log);
    await until(() => ready.size === 2, 20_000, 'workers to start');
    await until(() => aApplied >= 30, 20_000, 'worker-a to make progress');
    a.kill('SIGKILL');
    await new Promise((r) => a.once('exit', r));
    const held = (await queue.activeByConsumer())['worker-a'] ?? 0;
    console.log(`killed worker-a with SIGKILL after ${aApplied}+ updates; it held ${held} unacknowledged jobs`);

    await until(
      async () => {
        const c = await queue.counts();
        return c.waiting + c.pending + c.delayed === 0;
      },
      30_000,
      'the queue to drain',
    );
    const applied = Number(await connection.send(['SCARD', keys.applied], keys.applied));
    const runs = Number(await connection.send(['GET', keys.runs], keys.runs));
    const counts = await queue.counts();
    console.log(`applied ${applied} updates in ${runs} handler runs; ${counts.dead} dead letters`, counts);
    check(applied + counts.dead === UPDATES, 'every update is applied or dead-lettered');
    check(counts.dead === RETIRED, 'exactly the rejected updates are dead-lettered');
    check(runs - applied <= held, 'duplicate runs are bounded by what the killed worker held');

    for (const d of await queue.peekDead()) {
      console.log(`dead letter ${d.id}: ${d.data.providerId} after ${d.attemptsMade} tries: ${d.error}`);
      check(d.attemptsMade === 3, 'a dead letter used all 3 tries');
    }

    b.kill('SIGTERM');
    await new Promise((r) => b.once('exit', r));
  } finally {
    await connection.close();
  }
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { FencedLock } from '../../src/lock/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target } from '../harness/redis.js';

// The server is private and standalone whatever the project's topology, so one topology runs it.
describe.runIf(target === 'standalone')(`FencedLock tokens across a server crash and restart via ${driver}`, () => {
  it('every token after a SIGKILL and restart with AOF (appendfsync always) is greater than every token before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-lock-aof-'));
    const persistent = ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'];
    const before: number[] = [];
    try {
      const first = await startRedis({ extraArgs: persistent });
      const a = await privateConnection(first);
      try {
        const locks = new FencedLock({ connection: a.connection, ttlMs: 200 });
        for (let i = 0; i < 5; i++) {
          // The last lease outlives the restart: it must still be held afterwards.
          const lease = await locks.acquire('refill:rx-77', i === 4 ? { ttlMs: 4000 } : {});
          before.push(lease.token);
          if (i < 4) await lease.release(); // the last one is still held when the server dies
        }
      } finally {
        a.close();
        process.kill(first.pid, 'SIGKILL'); // a crash: no shutdown save, only what AOF already has
        await first.stop();
      }

      const second = await startRedis({ extraArgs: persistent });
      const b = await privateConnection(second);
      try {
        const locks = new FencedLock({ connection: b.connection, ttlMs: 200 });
        // The lock held at the crash is still held (its expiry is persisted too) until its TTL runs out.
        expect(await locks.tryAcquire('refill:rx-77')).toBeNull();
        const after = await locks.acquire('refill:rx-77', { waitMs: 8000 });
        expect(after.token).toBeGreaterThan(Math.max(...before));
        await after.release();
      } finally {
        b.close();
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(before).toEqual([...before].sort((x, y) => x - y));
  });
});

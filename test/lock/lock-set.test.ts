import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { keySlot } from '../../src/core/slots.js';
import { RedisConnection } from '../../src/index.js';
import { FencedLock, LockLostError, LockNotAcquiredError, MAX_LOCK_RESOURCES } from '../../src/lock/index.js';
import { countCommands } from '../harness/command-counter.js';
import { expectTypedOutage } from '../harness/private-server.js';
import { closeAfterAll, driver, rawClient, target, testConnection, topology, uniquePrefix } from '../harness/redis.js';
import { expectRejectedBeforeSending } from './expect-validation.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP proxy to a Redis at `url` that, once told to, swallows the next reply (an array) and cuts
 * the client's connection: the server ran the command, the client never heard back.
 */
async function replyDroppingProxy(url: string) {
  const upstreamUrl = new URL(url);
  const sockets = new Set<Socket>();
  const dropped: string[] = [];
  let drop = false;
  const server = createServer((client) => {
    const upstream = connect(Number(upstreamUrl.port), upstreamUrl.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (drop && chunk.toString().startsWith('*')) {
        drop = false;
        dropped.push(chunk.toString());
        client.destroy();
        upstream.destroy();
        return;
      }
      if (!client.destroyed) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    dropped,
    dropNextReply: () => {
      drop = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe(`FencedLock.acquireAll on ${target} via ${driver}`, () => {
  it('takes every lock or none: a busy resource leaves the others free; one EVALSHA per hash slot', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    const resources = ['bed:12', 'nurse:7', 'room:3'];
    const slots = new Set(resources.map((r) => keySlot(connection.keys('lock').stem(r)))).size;
    await (await locks.tryAcquireAll(['warm']))?.release(); // loads the script outside the count
    const before = await locks.tryAcquire('nurse:7');
    expect(before).not.toBeNull();
    expect(await locks.tryAcquireAll(resources)).toBeNull();
    // Nothing of the failed attempt is held.
    for (const r of ['bed:12', 'room:3']) await (await locks.tryAcquire(r))?.release();
    await before?.release();
    const { result: set, byCommand } = await countCommands(connection, () => locks.tryAcquireAll(resources));
    expect(set).not.toBeNull();
    expect(byCommand.evalsha).toBe(target === 'cluster' ? slots : 1);
    expect(set?.resources).toEqual(resources);
    expect(set?.tokens).toHaveLength(3);
    expect(set?.lease('nurse:7')?.token).toBeGreaterThan(before?.token as number);
    expect(set?.lease('other')).toBeUndefined();
    expect(set?.remainingMs()).toBeGreaterThan(4000);
    for (const r of resources) expect(await locks.tryAcquire(r)).toBeNull();
    // Every lock carries the set's TTL, whatever slot was taken first.
    for (const r of resources) {
      const key = connection.keys('lock').key(r, 'owner');
      const ttl = Number(await connection.send(['PTTL', key], key));
      expect(ttl).toBeGreaterThan(4000);
      expect(ttl).toBeLessThanOrEqual(5000);
    }
    expect(await set?.extend(8000)).toBe(true);
    expect(set?.remainingMs()).toBeGreaterThan(7000);
    expect(await set?.release()).toBe(true);
    expect(await set?.release()).toBe(false);
    for (const r of resources) expect(await locks.tryAcquire(r)).not.toBeNull();
  });

  it('waits for a busy resource while holding none too long, and gives up holding none', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000, pollMs: 50 });
    const busy = await locks.tryAcquire('a'); // the highest slot of the three on a cluster: b and c are held while it is awaited
    setTimeout(() => void busy?.release(), 300);
    const started = performance.now();
    const set = await locks.acquireAll(['a', 'b', 'c'], { waitMs: 3000 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(set.tokens.every((t) => t > 0)).toBe(true);
    // On a cluster the slots taken before b's were held through the wait with a longer TTL;
    // once the set is complete every lock is back to the set's TTL.
    for (const r of ['a', 'b', 'c']) {
      const key = connection.keys('lock').key(r, 'owner');
      expect(Number(await connection.send(['PTTL', key], key))).toBeLessThanOrEqual(5000);
    }
    expect(set.remainingMs()).toBeLessThanOrEqual(5000);
    await set.release();
    // A wait that runs out: LockNotAcquiredError naming the busy resource, nothing left held.
    const held = await locks.tryAcquire('y');
    const err = await locks.acquireAll(['x', 'y', 'z'], { waitMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockNotAcquiredError);
    expect((err as LockNotAcquiredError).resource).toBe('y');
    expect((err as LockNotAcquiredError).message).toBe('y: still held after waiting 200 ms (taking 3 resources)');
    for (const r of ['x', 'z']) expect(await locks.tryAcquire(r)).not.toBeNull();
    // An abort: rejects with the reason, nothing held.
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shift ended')), 100);
    await expect(locks.acquireAll(['p', 'y'], { waitMs: 5000, signal: controller.signal })).rejects.toThrow('shift ended');
    expect(await locks.tryAcquire('p')).not.toBeNull();
    await held?.release();
  });

  it('a set is named by its resources joined, and is good only as long as its shortest lease', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000 });
    const set = await locks.acquireAll(['ward:5', 'ward:6']);
    expect(set.resource).toBe('ward:5, ward:6');
    expect(await set.lease('ward:6')?.extend(60_000)).toBe(true);
    expect(set.lease('ward:6')?.remainingMs()).toBeGreaterThan(50_000);
    expect(set.remainingMs()).toBeLessThanOrEqual(5000);
    await set.release();
  });

  it('a set whose validity is used up before it is handed out (ttlMs below the drift allowance) is refused, not returned', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    // A 1 ms TTL is valid input but leaves nothing after the 2 ms drift allowance.
    for (const take of [() => locks.tryAcquireAll(['cot:1', 'cot:2'], { ttlMs: 1 }), () => locks.acquireAll(['cot:1'], { ttlMs: 1 })]) {
      const err = await take().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockNotAcquiredError);
      expect((err as LockNotAcquiredError).message).toBe(
        'cot:1: the locks could not all be held at once (a TTL ran out while taking them)',
      );
    }
  });

  it.runIf(target === 'cluster')(
    'slots taken first are held through the wait for a later one with a TTL that outlasts it, then brought back to the set TTL; a wait that runs out releases them',
    async () => {
      const connection = await testConnection();
      const locks = new FencedLock({ connection, ttlMs: 2000, pollMs: 50 });
      const slot = (r: string) => keySlot(connection.keys('lock').stem(r));
      // The resource taken first sorts last by name: slots, not names, decide the order.
      const names = Array.from({ length: 30 }, (_, i) => `bay:${i}`);
      const [first, later] = names.flatMap((a) => names.filter((b) => slot(a) < slot(b) && a > b).map((b) => [a, b])).at(0) as [
        string,
        string,
      ];
      const ownerKey = (r: string) => connection.keys('lock').key(r, 'owner');
      const pttl = async (r: string) => Number(await connection.send(['PTTL', ownerKey(r)], ownerKey(r)));
      const outlastsTtl = async () => {
        const end = performance.now() + 5000;
        while (performance.now() < end) {
          if ((await pttl(first)) > 2000) return true;
          await sleep(10);
        }
        return false;
      };

      const busy = await locks.tryAcquire(later, { ttlMs: 20_000 });
      const taking = locks.acquireAll([first, later], { waitMs: 10_000 });
      expect(await outlastsTtl()).toBe(true);
      await busy?.release();
      const set = await taking;
      expect(await pttl(first)).toBeGreaterThan(0);
      expect(await pttl(first)).toBeLessThanOrEqual(2000);
      expect(set.remainingMs()).toBeGreaterThan(0);
      expect(set.remainingMs()).toBeLessThanOrEqual(2000);
      expect(await set.release()).toBe(true);

      const held = await locks.tryAcquire(later, { ttlMs: 20_000 });
      const failing = locks.acquireAll([first, later], { waitMs: 3000 }).catch((e: unknown) => e);
      expect(await outlastsTtl()).toBe(true);
      const err = await failing;
      expect(err).toBeInstanceOf(LockNotAcquiredError);
      expect((err as LockNotAcquiredError).resource).toBe(later);
      expect(await connection.send(['GET', ownerKey(first)], ownerKey(first))).toBeNull();
      await held?.release();
    },
  );

  it('polls a busy resource every pollMs (jittered) while its holder has longer to go, not faster', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 5000, pollMs: 200 });
    await (await locks.tryAcquireAll(['warm']))?.release(); // loads the script outside the count
    const busy = await locks.tryAcquire('ward:9', { ttlMs: 20_000 });
    const { result, byCommand } = await countCommands(connection, () =>
      locks.acquireAll(['ward:8', 'ward:9'], { waitMs: 1000 }).catch((e: unknown) => e),
    );
    expect(result).toBeInstanceOf(LockNotAcquiredError);
    // One attempt, then one every 100 to 200 ms for 1 s: 11 or 12 (+ on a cluster, the extension
    // and the release of ward:8 if its slot comes first). With no pause it would be hundreds.
    expect(byCommand.evalsha).toBeGreaterThanOrEqual(3);
    expect(byCommand.evalsha).toBeLessThanOrEqual(15);
    await busy?.release();
  });

  it.runIf(target === 'standalone' && driver === 'ioredis')(
    'a reply lost with the connection: the resent script finds the locks taken by the same call, returns their tokens and restarts their TTL',
    async () => {
      const proxy = await replyDroppingProxy(topology().standaloneUrl);
      // ioredis resends the unanswered EVALSHA once it has reconnected, 3 s later.
      const connection = RedisConnection.from(await rawClient({ url: proxy.url, reconnectDelayMs: 3000 }), {
        prefix: uniquePrefix(),
        commandTimeoutMs: 30_000,
      });
      closeAfterAll(connection);
      try {
        const locks = new FencedLock({ connection, ttlMs: 6000 });
        await (await locks.tryAcquireAll(['warm']))?.release(); // loads the script: no NOSCRIPT round trip below
        proxy.dropNextReply();
        const set = await locks.acquireAll(['bed:1', 'bed:2']);
        // The first run granted both locks; its reply ({1, token, token}) never reached the client.
        const lost = (proxy.dropped[0] ?? '')
          .split('\r\n')
          .filter((l) => l.startsWith(':'))
          .map((l) => Number(l.slice(1)));
        expect(lost).toHaveLength(3);
        expect(lost[0]).toBe(1);
        expect(set.tokens).toEqual(lost.slice(1));
        for (const r of ['bed:1', 'bed:2']) {
          const key = connection.keys('lock').key(r, 'owner');
          expect(await connection.send(['GET', key], key)).toBe(set.lease(r)?.owner);
          // Set 3 s before by the first run, restarted by the second: well above 6000 - 3000.
          expect(Number(await connection.send(['PTTL', key], key))).toBeGreaterThan(4000);
        }
        expect(set.remainingMs()).toBeGreaterThan(0);
        expect(await locks.tryAcquire('bed:1')).toBeNull();
        expect(await set.release()).toBe(true);
        expect((await locks.tryAcquire('bed:2'))?.token).toBeGreaterThan(set.tokens[1] as number);
      } finally {
        await proxy.close();
      }
    },
  );

  it('never deadlocks: two holders asking for overlapping sets in opposite orders both finish, never overlapping', async () => {
    const connection = await testConnection();
    const a = new FencedLock({ connection, ttlMs: 5000, pollMs: 20 });
    const b = new FencedLock({ connection, ttlMs: 5000, pollMs: 20 });
    const holding = new Map<string, number>();
    let overlaps = 0;
    const work = async (locks: FencedLock, resources: string[]) => {
      for (let i = 0; i < 8; i++) {
        await locks.usingAll(
          resources,
          async ({ tokens }) => {
            expect(tokens).toHaveLength(resources.length);
            for (const r of resources) {
              if (holding.get(r)) overlaps++;
              holding.set(r, 1);
            }
            await sleep(5);
            for (const r of resources) holding.set(r, 0);
          },
          { waitMs: 10_000 },
        );
      }
    };
    await Promise.all([work(a, ['ward:1', 'ward:2', 'ward:3']), work(b, ['ward:3', 'ward:2', 'ward:1']), work(b, ['ward:2', 'ward:4'])]);
    expect(overlaps).toBe(0);
  });

  it('usingAll releases every lock, hands a released lock to a queued single-lock waiter, and reports a lost lock', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 600 });
    let waiter: Promise<unknown> | undefined;
    const out = await locks.usingAll(['chart:1', 'chart:2'], async ({ leases }) => {
      waiter = locks.acquire('chart:2', { waitMs: 3000 });
      await sleep(700); // longer than the TTL: kept alive by extensions
      return leases.tokens.length;
    });
    expect(out).toBe(2);
    const handed = (await waiter) as { token: number; release(): Promise<boolean> };
    expect(handed.token).toBeGreaterThan(0);
    await handed.release();
    expect(await locks.tryAcquire('chart:1')).not.toBeNull();
    // A lock of the set deleted under it: the signal aborts with LockLostError and usingAll rejects.
    const err = await locks
      .usingAll(['lost:1', 'lost:2'], async ({ signal }) => {
        const key = connection.keys('lock').key('lost:2', 'owner');
        await connection.send(['DEL', key], key);
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockLostError);
  });

  it(`takes exactly ${MAX_LOCK_RESOURCES} resources; bad input is rejected before anything is sent`, async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const many = Array.from({ length: MAX_LOCK_RESOURCES }, (_, i) => `seat:${i}`);
    const set = await locks.acquireAll(many);
    expect(set.tokens).toHaveLength(MAX_LOCK_RESOURCES);
    expect(await set.release()).toBe(true);
    await expectRejectedBeforeSending(connection, [
      ['resources', () => locks.acquireAll([...many, 'one-more'])],
      ['resources', () => locks.tryAcquireAll([...many, 'one-more'])],
      ['resources', () => locks.acquireAll([])],
      ['resources', () => locks.acquireAll('a' as unknown as string[])],
      ['resources', () => locks.acquireAll(['a', 'a'])],
      ['resource', () => locks.acquireAll(['a', ''])],
      ['resource', () => locks.acquireAll(['a', 'x'.repeat(1025)])],
      ['ttlMs', () => locks.acquireAll(['a'], { ttlMs: 0 })],
      ['waitMs', () => locks.acquireAll(['a'], { waitMs: -1 })],
      ['ttlMs', () => locks.tryAcquireAll(['a'], { ttlMs: 1.5 })],
      ['resources', () => locks.usingAll(['a', 'a'], async () => 1)],
    ]);
  });

  it('Redis down: a typed error within the timeout, never a lock', async () => {
    await expectTypedOutage((connection) => new FencedLock({ connection }).tryAcquireAll(['a', 'b', 'c']));
  });

  it('acquireAll without a wait rejects with LockNotAcquiredError, holding none, when one is busy', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const held = await locks.tryAcquire('cot:2');
    const err = await locks.acquireAll(['cot:1', 'cot:2'], { waitMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockNotAcquiredError);
    // It names the busy resource, not the first one asked for.
    expect((err as LockNotAcquiredError).resource).toBe('cot:2');
    expect((err as Error).message).toBe('cot:2: the lock is held');
    expect(await locks.tryAcquire('cot:1')).not.toBeNull();
    await held?.release();
  });

  it('usingAll with a short ttlMs extends every third of it, not of the default', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection, ttlMs: 60_000 });
    const seen = await locks.usingAll(
      ['bay:1', 'bay:2'],
      async ({ signal, leases }) => {
        // Past the 1.5 s they were taken with: only extensions every third of it keep them.
        await sleep(2500);
        return { aborted: signal.aborted, remaining: leases.remainingMs() };
      },
      { ttlMs: 1500 },
    );
    expect(seen.aborted).toBe(false);
    expect(seen.remaining).toBeGreaterThan(0);
  });

  it('an abort signal already aborted rejects before sending', async () => {
    const connection = await testConnection();
    const locks = new FencedLock({ connection });
    const reason = new Error('cancelled');
    const { total, result } = await countCommands(connection, () =>
      locks.acquireAll(['a'], { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e),
    );
    expect(result).toBe(reason);
    expect(total).toBe(0);
  });
});

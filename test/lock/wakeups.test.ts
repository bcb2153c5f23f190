// Wake-ups of waiters in another app instance: the release announces the handoff over pub/sub
// (SPUBLISH on a cluster), and a waiter whose pub/sub connection was lost when the handoff was
// announced checks Redis as soon as the connection is back, not at its next poll.
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { RedisConnection } from '../../src/index.js';
import { FencedLock, LockNotAcquiredError, Semaphore } from '../../src/lock/index.js';
import { countCommands } from '../harness/command-counter.js';
import { connectionWithoutChannels, privateConnection } from '../harness/private-server.js';
import { closeAfterAll, driver, killPubSubConnections, rawClient, target, testConnection, topology } from '../harness/redis.js';

// Polling alone would take this long: only a wake-up explains a fast grant.
const POLL_MS = 15_000;

/**
 * Two app instances: their own clients, same prefix. The waiter's client waits before it
 * reconnects where the driver lets it (ioredis standalone; node-redis tries once at once, an
 * ioredis cluster's sharded subscribers reconnect at once), so a release right after its pub/sub
 * connection is killed is announced while that is down: without the re-check after the
 * reconnect, the waiter would wait for its 15 s poll (tested by disabling it).
 */
async function instances(): Promise<{ waiterSide: RedisConnection; holderSide: RedisConnection }> {
  const waiterSide = await testConnection({ reconnectDelayMs: 300 });
  const holderSide = RedisConnection.from(await rawClient(), { prefix: waiterSide.prefix });
  closeAfterAll(holderSide);
  await holderSide.shardedPubSub();
  return { waiterSide, holderSide };
}

/** Resolves once `queue` (a sorted set of waiters) holds one member. */
async function queued(connection: RedisConnection, queue: string): Promise<void> {
  await vi.waitFor(async () => expect(await connection.send(['ZCARD', queue], queue)).toBe(1), { timeout: 5000 });
}

type Kind = 'FencedLock' | 'Semaphore';

/** A waiter in one instance and a holder in another, for either kind of lock. */
async function contenders(kind: Kind) {
  const { waiterSide, holderSide } = await instances();
  const options = { ttlMs: 30_000, waitMs: 25_000, pollMs: POLL_MS };
  const make = (connection: RedisConnection) =>
    kind === 'FencedLock' ? new FencedLock({ connection, ...options }) : new Semaphore({ connection, limit: 1, ...options });
  const holder = await make(holderSide).acquire('fax-line');
  const waiting = make(waiterSide).acquire('fax-line');
  await queued(waiterSide, waiterSide.keys('lock').key('fax-line', 'queue'));
  return { waiterSide, holderSide, holder, waiting };
}

describe(`lock wake-ups across app instances on ${target} via ${driver}`, () => {
  for (const kind of ['FencedLock', 'Semaphore'] as const) {
    it(`${kind}: a release in another instance wakes the waiter over pub/sub`, async () => {
      const { holderSide, holder, waiting } = await contenders(kind);
      const started = Date.now();
      const { result: released, byCommand } = await countCommands(holderSide, () => holder.release());
      expect(released).toBe(true);
      expect((byCommand.publish ?? 0) + (byCommand.spublish ?? 0)).toBe(1);
      const lease = await waiting;
      expect(Date.now() - started).toBeLessThan(5000);
      await lease.release();
    });

    it(`${kind}: a release hands over to a waiter of the same instance by its reply, publishing nothing`, async () => {
      const connection = await testConnection();
      const options = { ttlMs: 30_000, waitMs: 25_000, pollMs: POLL_MS };
      const lock = kind === 'FencedLock' ? new FencedLock({ connection, ...options }) : new Semaphore({ connection, limit: 1, ...options });
      const holder = await lock.acquire('fax-line');
      const waiting = lock.acquire('fax-line');
      await queued(connection, connection.keys('lock').key('fax-line', 'queue'));
      const started = Date.now();
      const { result: lease, byCommand } = await countCommands(connection, async () => {
        expect(await holder.release()).toBe(true);
        return waiting;
      });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(byCommand.publish ?? 0).toBe(0);
      expect(byCommand.spublish ?? 0).toBe(0);
      // Handed over, not taken by a poll: the waiter holds it without having asked again.
      expect(byCommand.evalsha).toBe(1);
      expect(await lease.release()).toBe(true);
    });

    it(`${kind}: a handoff announced while the waiter's pub/sub connection was down is picked up once it is back`, async () => {
      const { waiterSide, holder, waiting } = await contenders(kind);
      const events: string[] = [];
      const sub = await waiterSide.subscriber();
      sub.onDisconnect?.(() => events.push('lost'));
      sub.onReconnect?.(() => events.push('back'));
      await killPubSubConnections(waiterSide.client);
      const started = Date.now();
      // Announced right away, before the waiter's subscriber can have subscribed again.
      expect(await holder.release()).toBe(true);
      const lease = await waiting;
      // Well before the 15 s poll: the handoff came through the subscriber's return.
      expect(Date.now() - started).toBeLessThan(5000);
      // The re-check after resubscribing can hand over the lock before this test's own
      // reconnect listener has run: wait for it rather than require it first.
      await vi.waitFor(() => expect(events.slice(0, 2)).toEqual(['lost', 'back']), { timeout: 5000 });
      await lease.release();
    });
  }

  it.runIf(target === 'standalone')(
    'a refused subscription is forgotten: the next waiter subscribes again, and is woken once channels are allowed',
    async () => {
      const server = await startRedis();
      const admin = await privateConnection(server);
      // A user that may not subscribe to any channel: its waiters can only poll.
      const side = await connectionWithoutChannels(server, admin.connection);
      try {
        // A poll far longer than the test: only a wake-up explains a grant within seconds.
        const options = { ttlMs: 120_000, waitMs: 90_000, pollMs: 60_000 };
        const waiters = new FencedLock({ connection: side.connection, ...options });
        const held = await new FencedLock({ connection: admin.connection, ...options }).acquire('pump');
        await expect(waiters.acquire('pump', { waitMs: 300 })).rejects.toBeInstanceOf(LockNotAcquiredError);
        // Allowed right away, well within the time a dropped channel would otherwise stay open.
        await side.allowChannels();
        const waiting = waiters.acquire('pump');
        await queued(side.connection, side.connection.keys('lock').key('pump', 'queue'));
        expect(await held.release()).toBe(true);
        const lease = await Promise.race([waiting, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
        expect(lease, 'woken over a new subscription').not.toBeNull();
        await lease?.release();
      } finally {
        side.close();
        admin.close();
        await server.stop();
      }
    },
  );

  it('a channel dropped after its last waiter leaves the re-check after a reconnect to the waiters of other resources', async () => {
    const { waiterSide, holderSide } = await instances();
    // A poll much longer than the test: the waiter's poll runs at 30 to 60 s after it queued, so
    // only a re-check can explain a grant within seconds, however long the linger took.
    const options = { ttlMs: 120_000, waitMs: 90_000, pollMs: 60_000 };
    const waiters = new FencedLock({ connection: waiterSide, ...options });
    const holders = new FencedLock({ connection: holderSide, ...options });
    const queueOf = (resource: string) => waiterSide.keys('lock').key(resource, 'queue');
    const heldA = await holders.acquire('fax-a');
    const heldB = await holders.acquire('fax-b');
    const waitingA = waiters.acquire('fax-a');
    await queued(waiterSide, queueOf('fax-a'));
    const leaving = new AbortController();
    const waitingB = waiters.acquire('fax-b', { signal: leaving.signal });
    await queued(waiterSide, queueOf('fax-b'));
    leaving.abort(new Error('patient left'));
    await expect(waitingB).rejects.toThrow('patient left');
    // The lock's wake-ups are internal: only they tell when fax-b's channel has lingered out.
    const { wakeups } = waiters as unknown as { wakeups: { isSubscribed(channel: string): boolean } };
    const channelB = waiterSide.keys('lock').key('fax-b', 'grants');
    await vi.waitFor(() => expect(wakeups.isSubscribed(channelB)).toBe(false), { timeout: 10_000, interval: 100 });
    await killPubSubConnections(waiterSide.client);
    expect(await heldA.release()).toBe(true);
    const lease = await Promise.race([waitingA, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    expect(lease, 'fax-a granted by a re-check once the subscriber was back').not.toBeNull();
    await Promise.all([lease?.release(), heldB.release()]);
  });

  for (const kind of ['FencedLock', 'Semaphore'] as const) {
    it(`${kind}: a channel stays subscribed for a while after its last waiter, then is dropped`, async () => {
      const connection = await testConnection();
      const options = { ttlMs: 30_000, waitMs: 10_000, pollMs: POLL_MS };
      const locks =
        kind === 'FencedLock' ? new FencedLock({ connection, ...options }) : new Semaphore({ connection, limit: 1, ...options });
      const channel = connection.keys('lock').key('infusion-pump', 'grants');
      const queue = connection.keys('lock').key('infusion-pump', 'queue');
      // Asked of every node on a cluster: a client may route PUBSUB, which names no key, to any node.
      const subscribers = async () => {
        if (!(await connection.shardedPubSub())) {
          const reply = (await connection.send(['PUBSUB', 'NUMSUB', channel], channel)) as unknown[];
          return Number(reply[1]);
        }
        let total = 0;
        for (const node of topology().clusterNodes) {
          const client = new Redis(`redis://${node}`);
          try {
            total += Number(((await client.call('PUBSUB', 'SHARDNUMSUB', channel)) as unknown[])[1]);
          } finally {
            client.disconnect();
          }
        }
        return total;
      };
      // A waiter subscribes, is handed the lock and stops listening.
      const holder = await locks.acquire('infusion-pump');
      const first = locks.acquire('infusion-pump');
      await queued(connection, queue);
      expect(await subscribers()).toBe(1);
      await holder.release();
      const firstLease = await first;
      // Within the linger the subscription is kept, and the next waiter queues on its first call.
      expect(await subscribers()).toBe(1);
      // (The waiting acquire goes out wrapped: an async function returning it would wait for the grant.)
      const { result: second, byCommand } = await countCommands(connection, async () => {
        const waiting = locks.acquire('infusion-pump');
        await queued(connection, queue);
        return { waiting };
      });
      expect(byCommand.evalsha).toBe(1);
      expect(byCommand.subscribe ?? byCommand.ssubscribe).toBeUndefined();
      await firstLease.release();
      await (await second.waiting).release();
      // Nobody waits any more: dropped once the linger (2 s) has passed.
      expect(await subscribers()).toBe(1);
      await vi.waitFor(async () => expect(await subscribers()).toBe(0), { timeout: 5000, interval: 100 });
      // Then a waiter tries once without queueing first, as on a resource nobody contends.
      const holderAgain = await locks.acquire('infusion-pump');
      const { result: third, byCommand: after } = await countCommands(connection, async () => {
        const waiting = locks.acquire('infusion-pump');
        await queued(connection, queue);
        return { waiting };
      });
      expect(after.evalsha).toBe(2);
      await holderAgain.release();
      await (await third.waiting).release();
    });
  }

  // Only where the waiter's subscriber can be held down (see instances()): elsewhere it is back
  // at once and its re-check finds the handoff before the waiter gives up.
  it.runIf(driver === 'ioredis' && target === 'standalone')(
    'FencedLock: a waiter that gives up after a handoff it missed passes the lock on at once',
    async () => {
      const waiterSide = await testConnection({ reconnectDelayMs: 8000 });
      const holderSide = RedisConnection.from(await rawClient(), { prefix: waiterSide.prefix });
      closeAfterAll(holderSide);
      await holderSide.shardedPubSub();
      const options = { ttlMs: 30_000, waitMs: 25_000, pollMs: POLL_MS };
      const locks = new FencedLock({ connection: holderSide, ...options });
      const holder = await locks.acquire('scanner');
      const controller = new AbortController();
      const waiting = new FencedLock({ connection: waiterSide, ...options })
        .acquire('scanner', { signal: controller.signal })
        .catch((e: unknown) => e);
      await queued(waiterSide, waiterSide.keys('lock').key('scanner', 'queue'));
      await killPubSubConnections(waiterSide.client);
      // Handed to the waiter; the message is lost and its subscriber stays down for 8 s.
      expect(await holder.release()).toBe(true);
      const reason = new Error('patient went home');
      controller.abort(reason);
      expect(await waiting).toBe(reason);
      // Giving up released what it had been handed: free now, not held for the 30 s TTL.
      const next = await locks.tryAcquire('scanner');
      expect(next?.token).toBeGreaterThan(holder.token + 1);
      await next?.release();
    },
  );
});

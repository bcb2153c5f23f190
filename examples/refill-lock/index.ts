// A patient double-clicks "Request refill": two app instances receive the request at the
// same moment. A FencedLock makes one of them send the prescription; the other sees it
// was sent. Then the dangerous case: an instance stalls past its lock's TTL and wakes up
// to write late; its fencing token is older, so the pharmacy and the fenced record
// reject it.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { FencedLock, FencedStore } from 'redis-patterns/lock';
import { check, withRedis } from '../_shared/redis.js';

/** A pharmacy API that fences its writes: it remembers the highest token per prescription. */
class Pharmacy {
  readonly orders: { rx: string; by: string; token: number }[] = [];
  private readonly highest = new Map<string, number>();

  send(rx: string, by: string, token: number): boolean {
    if (token < (this.highest.get(rx) ?? 0)) return false; // a stale holder: rejected
    this.highest.set(rx, token);
    this.orders.push({ rx, by, token });
    return true;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await withRedis(async (url) => {
  const clients = [new Redis(url), new Redis(url)];
  // Two app instances: separate clients, same namespace.
  const instances = clients.map((c) => {
    const connection = RedisConnection.from(c, { prefix: 'clinic' });
    return { connection, locks: new FencedLock({ connection, ttlMs: 5000 }), records: new FencedStore({ connection }) };
  });
  const pharmacy = new Pharmacy();

  async function requestRefill(instance: (typeof instances)[number], name: string, rx: string) {
    return instance.locks.using(`refill:${rx}`, async ({ token }) => {
      const record = await instance.records.read<{ status: string }>(`refill:${rx}`);
      if (record?.status === 'sent') return `${name}: already sent, nothing to do (token ${token})`;
      await sleep(50); // calling the pharmacy takes a while
      pharmacy.send(rx, name, token);
      const { written } = await instance.records.write(`refill:${rx}`, token, { status: 'sent', by: name });
      return `${name}: sent the refill (token ${token}, record written: ${written})`;
    });
  }

  try {
    console.log('double click: two requests for rx-1001 at once');
    const outcomes = await Promise.all([
      requestRefill(instances[0]!, 'instance-A', 'rx-1001'),
      requestRefill(instances[1]!, 'instance-B', 'rx-1001'),
    ]);
    for (const o of outcomes) console.log(`  ${o}`);
    check(pharmacy.orders.filter((o) => o.rx === 'rx-1001').length === 1, 'the pharmacy received exactly one order for rx-1001');
    check(outcomes.filter((o) => o.includes('already sent')).length === 1, 'the other request saw it was sent');

    console.log('stale holder: instance A stalls past its TTL while holding the lock for rx-2002');
    const [a, b] = instances as [(typeof instances)[number], (typeof instances)[number]];
    const stale = await a.locks.acquire('refill:rx-2002', { ttlMs: 200 });
    await sleep(400); // a long GC pause: the lock expired
    const fresh = await b.locks.acquire('refill:rx-2002');
    console.log(`  A holds token ${stale.token} (expired), B acquired token ${fresh.token}`);
    check(fresh.token > stale.token, 'the new holder has a greater token');
    check(pharmacy.send('rx-2002', 'instance-B', fresh.token), 'B sends with the newer token');
    await b.records.write('refill:rx-2002', fresh.token, { status: 'sent', by: 'instance-B' });
    const lateSend = pharmacy.send('rx-2002', 'instance-A', stale.token);
    const lateWrite = await a.records.write('refill:rx-2002', stale.token, { status: 'sent', by: 'instance-A' });
    console.log(`  A wakes up: pharmacy accepted its order: ${lateSend}, record written: ${lateWrite.written}`);
    check(!lateSend && !lateWrite.written, 'the stale holder is fenced off everywhere');
    check(!(await stale.release()), 'the stale release is refused and does not free B’s lock');
    check((await b.locks.tryAcquire('refill:rx-2002')) === null, 'B still holds the lock');
    await fresh.release();
    const record = await a.records.read<{ by: string }>('refill:rx-2002');
    check(record?.by === 'instance-B', 'the record shows B’s write');
    console.log(`  record: ${JSON.stringify(record)}`);
  } finally {
    for (const i of instances) await i.connection.close();
    for (const c of clients) await c.quit();
  }
});

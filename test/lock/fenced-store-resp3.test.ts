// node-redis on RESP3 answers HGETALL with an object, not the flat array RESP2 gives: a fenced
// record must read back the same either way.
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/index.js';
import { FencedLock, FencedStore } from '../../src/lock/index.js';
import { target, topology, uniquePrefix } from '../harness/redis.js';

describe('FencedStore on a node-redis RESP3 client', () => {
  it.runIf(target === 'standalone')(
    'reads back every field it wrote, without the fence, and null for a resource without a record',
    async () => {
      const client = createClient({ url: topology().standaloneUrl, RESP: 3 });
      await client.connect();
      try {
        const connection = RedisConnection.from(client, { prefix: uniquePrefix('resp3') });
        const store = new FencedStore({ connection });
        const lease = await new FencedLock({ connection }).acquire('refill:rx-5');
        expect((await store.write('refill:rx-5', lease.token, { status: 'sent', attempts: 2 })).written).toBe(true);
        expect(await store.read('refill:rx-5')).toEqual({ status: 'sent', attempts: 2 });
        expect(await store.read('refill:rx-6')).toBeNull();
        await lease.release();
      } finally {
        await client.quit();
      }
    },
  );
});

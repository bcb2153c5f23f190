// Sharded pub/sub only means something on a cluster: a standalone client asked for a sharded
// subscriber gives a plain one, which PUBLISH reaches.
import { describe, expect, it } from 'vitest';
import { adaptClient } from '../../src/core/client/detect.js';
import { driver, rawClient, target, uniquePrefix } from '../harness/redis.js';

describe.runIf(target === 'standalone')(`sharded subscriber asked of a standalone client via ${driver}`, () => {
  it('is a plain subscriber: not sharded, and PUBLISH reaches it', async () => {
    const client = adaptClient(await rawClient());
    const sub = await client.createSubscriber({ sharded: true });
    try {
      expect(sub.sharded).toBe(false);
      const channel = uniquePrefix('plain');
      const got: string[] = [];
      await sub.subscribe(channel, (m) => got.push(m));
      expect(await client.send(['PUBLISH', channel, 'hello'])).toBe(1);
      await expect.poll(() => got).toEqual(['hello']);
    } finally {
      await sub.close();
    }
  });
});

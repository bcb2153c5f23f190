import type { RedisConnection } from '../core/connection.js';
import { type CacheLayout, groupByBucket } from './layout.js';
import type { RemoteTier } from './remote.js';

/**
 * Deletes every key of `layout`'s namespace: `SCAN` on every primary (core's admin iterator),
 * and per batch one `UNLINK` per slot bucket (a bucket's keys share a slot, so each command
 * stays on one node), each under its own `timeoutMs`. `UNLINK` frees large values off Redis'
 * main thread. Resolves how many keys were deleted.
 */
export async function clearKeys(connection: RedisConnection, layout: CacheLayout, remote: RemoteTier): Promise<number> {
  let deleted = 0;
  for await (const batch of connection.scan(layout.pattern)) {
    const counts = await Promise.all(
      groupByBucket(batch, (key) => layout.bucketOfKey(key)).map((group) =>
        remote.send(['UNLINK', ...group], group[0], remote.deadline(), 'clear'),
      ),
    );
    for (const n of counts) deleted += Number(n);
  }
  return deleted;
}

import type { CacheOperation } from './events.js';
import type { CacheLayout } from './layout.js';
import type { Deadline, RemoteTier } from './remote.js';

// A sweep passes entry and guard keys to one script; chunks keep the argument list reasonable.
const CHUNK = 256;

/**
 * One script call over entries a tag index listed: `keys` are the index, `n` entries and their
 * `n` guards, in that order. Resolves the script's count.
 */
export type SweepChunk = (keys: string[], n: number) => Promise<number>;

/**
 * Runs `chunk` over every entry of `tag`, on every slot bucket: per bucket one `ZRANGE` of the
 * tag's index, then the script over the listed entries, 256 at a time, all under the caller's
 * one deadline. Buckets run in parallel; each is atomic, the whole sweep is not (a tag's
 * entries live in many slots). Resolves the sum of the script's counts.
 */
export async function sweepTag(
  remote: RemoteTier,
  layout: CacheLayout,
  tag: string,
  chunk: SweepChunk,
  deadline: Deadline,
  operation: CacheOperation,
): Promise<number> {
  const perBucket = await Promise.all(
    layout.buckets.map(async (bucket) => {
      const index = layout.tagIndex(bucket, tag);
      const reply = await remote.send(['ZRANGE', index, 0, -1], index, deadline, operation);
      // Stryker disable next-line ArrayDeclaration: equivalent, ZRANGE always replies with an array
      const members = Array.isArray(reply) ? reply.map(String) : [];
      let count = 0;
      for (let i = 0; i < members.length; i += CHUNK) {
        const entries = members.slice(i, i + CHUNK);
        const guards = entries.map((e) => layout.guardOfEntry(bucket, e));
        count += await chunk([index, ...entries, ...guards], entries.length);
      }
      return count;
    }),
  );
  return perBucket.reduce((a, b) => a + b, 0);
}

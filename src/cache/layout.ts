import { encodeKeyPart, type KeySpace } from '../core/keys.js';

/** The Redis keys of one cache entry. */
export interface EntryKeys {
  /** Slot bucket tag (`b0`, `b1`, ...): every key of the entry and the tag indexes it is listed in share it. */
  bucket: string;
  /** The bucket's invalidation channel, in the bucket's slot (a script of the bucket can publish on it sharded). */
  channel: string;
  /** The entry: a string holding header + value. */
  entry: string;
  /** The short-lived load guard (stampede protection). */
  guard: string;
}

// Characters `SCAN MATCH` reads as a glob; an encoded namespace may contain them.
const GLOB = /[*?[\]\\]/g;

/**
 * Key layout of the cache. Entries are spread over `buckets` hash tags rather
 * than one slot per key, so that a tag's index can live in the same slot as
 * each entry it lists: a tagged set is then one script, and `invalidateTag`
 * one read and one script per bucket. On standalone Redis one bucket is enough.
 *
 * `prefix:cache:{b<n>}:e:<key>` entry, `...:g:<key>` guard, `...:t:<tag>` tag index, and
 * `prefix:cache:{b<n>}:bus` the bucket's invalidation channel: writes to a bucket announce
 * themselves on its channel (sharded pub/sub on a cluster keeps each message within the shard
 * of its bucket), and every instance listens on all of them. A namespace goes after the hash
 * tag, `prefix:cache:{b<n>}:n:<namespace>:e:<key>` (and `...:n:<namespace>:bus`): the slots
 * stay the same, and no key of one namespace (or of none) can match another's, since an
 * encoded part never contains `:`.
 */
export class CacheLayout {
  /** Every bucket tag, in order. */
  readonly buckets: readonly string[];
  /** The invalidation channel of each bucket, in bucket order. */
  readonly channels: readonly string[];
  /** The `SCAN MATCH` pattern of every key of this namespace (admin calls only). */
  readonly pattern: string;
  // Per bucket, everything of a key before `:e:`: built once, so a hit builds one string.
  private readonly stems: Map<string, string>;

  constructor(keys: KeySpace, bucketCount: number, namespace?: string) {
    this.buckets = Array.from({ length: bucketCount }, (_, i) => `b${i}`);
    const infix = namespace === undefined ? '' : `:n:${encodeKeyPart(namespace)}`;
    this.stems = new Map(this.buckets.map((b) => [b, keys.stem(b) + infix]));
    this.channels = this.buckets.map((b) => this.channelOf(b));
    const base = keys.pattern().slice(0, -1);
    this.pattern = namespace === undefined ? `${base}{b*}:[egt]:*` : `${base}{b*}${infix.replace(GLOB, '\\$&')}:*`;
  }

  /** The keys of the entry `key` (a user key, already validated). */
  of(key: string): EntryKeys {
    const bucket = this.bucketOf(key);
    const stem = this.stems.get(bucket) as string;
    const part = encodeKeyPart(key);
    return { bucket, channel: `${stem}:bus`, entry: `${stem}:e:${part}`, guard: `${stem}:g:${part}` };
  }

  /** The invalidation channel of `bucket`. */
  channelOf(bucket: string): string {
    return `${this.stems.get(bucket) as string}:bus`;
  }

  /** The index of `tag` in one bucket. */
  tagIndex(bucket: string, tag: string): string {
    return `${this.stems.get(bucket)}:t:${encodeKeyPart(tag)}`;
  }

  /** The guard key that belongs to an entry key read back from a tag index. */
  guardOfEntry(bucket: string, entryKey: string): string {
    const stem = this.stems.get(bucket) as string;
    return `${stem}:g:${entryKey.slice(stem.length + 3)}`;
  }

  /** The bucket of a key of this layout (read back by `SCAN`): the hash tag between its braces. */
  bucketOfKey(redisKey: string): string {
    // Stryker disable next-line ArithmeticOperator: equivalent, every scanned key has the same character before `{`, so the groups are the same
    return redisKey.slice(redisKey.indexOf('{') + 1, redisKey.indexOf('}'));
  }

  private bucketOf(key: string): string {
    const n = this.buckets.length;
    // Stryker disable next-line ConditionalExpression: equivalent, any hash modulo 1 picks bucket 0 too
    if (n === 1) return this.buckets[0] as string;
    // FNV-1a: cheap and evenly spread; it only has to be the same in every instance.
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return this.buckets[(h >>> 0) % n] as string;
  }
}

/**
 * `items` grouped by slot bucket, each group in input order, groups in order of first
 * appearance: one round trip per group, since a bucket's keys share a slot.
 */
export function groupByBucket<T>(items: readonly T[], bucketOf: (item: T) => string): [T, ...T[]][] {
  const groups = new Map<string, [T, ...T[]]>();
  for (const item of items) {
    const bucket = bucketOf(item);
    const group = groups.get(bucket);
    if (group) group.push(item);
    else groups.set(bucket, [item]);
  }
  return [...groups.values()];
}

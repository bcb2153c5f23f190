/**
 * Which dirty-index shard an id belongs to: FNV-1a over the id's UTF-16 code
 * units, modulo `shards`. Stable across processes and versions, so every
 * instance puts a record and its dirty entry in the same slot.
 */
export function shardOf(id: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

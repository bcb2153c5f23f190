/**
 * Metadata offload (write-back): per-record hashes with field-level updates,
 * a sharded dirty index, and a `sync(flush)` that drains changed records to the
 * primary database in batches with retries without ever losing a concurrent update.
 *
 * @packageDocumentation
 */
export {
  type FlushFn,
  MAX_SYNC_BATCH,
  MAX_UPDATE_FIELDS,
  type OffloadRecord,
  OffloadStore,
  type OffloadStoreOptions,
  type StoredRecord,
  type SyncOptions,
  type SyncResult,
} from './offload-store.js';
export { shardOf } from './shard.js';

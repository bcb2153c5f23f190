import type { RedisConnection } from '../core/connection.js';

/**
 * The keys of one queue. All share the queue name as hash tag, so every script
 * touches one slot on a cluster. They live as long as the queue is used (no TTL):
 * the stream holds only unfinished jobs, the ids hash only ids of live jobs.
 */
export interface QueueKeys {
  /** Stream of jobs ready to run or running (entries are deleted on completion). */
  stream: string;
  /** Sorted set of delayed jobs and retries waiting out their backoff, scored by due time. */
  delayed: string;
  /** Stream of jobs that used all their tries. */
  dead: string;
  /** Hash of caller-given job ids of live jobs, for deduplication. */
  ids: string;
}

/** Builds the {@link QueueKeys} of queue `name`. */
export function queueKeys(connection: RedisConnection, name: string): QueueKeys {
  const ks = connection.keys('queue', { durable: true });
  return {
    stream: ks.key(name, 'stream'),
    delayed: ks.key(name, 'delayed'),
    dead: ks.key(name, 'dead'),
    ids: ks.key(name, 'ids'),
  };
}

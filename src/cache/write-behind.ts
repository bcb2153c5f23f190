import { ValidationError } from '../core/errors.js';
import { assertKeyPart, assertPositiveInteger } from '../core/validation.js';
import type { Cache } from './cache.js';

/**
 * The one thing {@link writeBehind} needs from a queue: `add(name, data, { jobId })`.
 * `StreamQueue` from `redis-patterns/queue` fits as it is. Typed structurally so
 * that the cache module does not depend on the queue module.
 *
 * The queue must be durable for write-behind to be honest: an acknowledged
 * `add` is the only record of the database write until a worker has run it.
 */
export interface WriteBehindQueue<J> {
  /**
   * Enqueues one job. What it resolves is read only if it is an object like
   * `StreamQueue`'s `AddResult`: `id` (a string) is reported back, and `added: false`
   * (a live job with the same `jobId` existed, nothing was added) sets `duplicate`.
   */
  add(name: string, data: J, options?: { jobId?: string }): Promise<unknown>;
}

/** One write for {@link writeBehind}: the cached value and the database write it stands for. */
export interface WriteBehindWrite<J> {
  /** Cache key of the value. */
  key: string;
  /** The new value, stored in the cache at once (encoded with the cache's serializer). */
  value: unknown;
  /** Fresh TTL of the cache entry, in ms. Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** Tags of the cache entry, for `invalidateTag`. Default none. */
  tags?: readonly string[];
  /**
   * The payload the flusher (a worker of the queue) writes to the database, e.g.
   * `{ table, id, values, version }`. The queue does not keep jobs in order and may run
   * one twice: carry full values (not a delta) and a version (row version, sequence) so
   * the flusher can skip a write older than what the database already has.
   */
  job: J;
  /** Job name passed to `queue.add`. Default `'write-behind'`. */
  jobName?: string;
  /**
   * Idempotency id of THIS write (e.g. the request id), passed to the queue as `jobId`:
   * sending the same write twice enqueues it once. Not the row's id: while a job with
   * this id is live, a different payload under the same id is dropped. Default none.
   */
  jobId?: string;
}

/** What {@link writeBehind} did. It resolves only once the database write is in the queue. */
export interface WriteBehindResult {
  /** Always `true`: when the enqueue fails, `writeBehind` rejects instead. */
  queued: true;
  /**
   * `true` when the queue reported a live job with the same `jobId`, so this call
   * added nothing and that earlier job carries the database write.
   */
  duplicate: boolean;
  /** The job's id as the queue reported it (your `jobId`, or the queue's), if it reported one. */
  jobId: string | undefined;
  /**
   * `true` when the cache holds the new value. `false` when Redis was unavailable for
   * the cache (the cache is fail-open: `set` skips writes it cannot make); the
   * database still gets the write from the queue.
   */
  cached: boolean;
  /**
   * `true` when the value was not cached AND deleting the old entry failed too:
   * readers may get the previous cached value until its TTL runs out. Always
   * `false` when `cached` is `true`.
   */
  stale: boolean;
}

/**
 * Write-behind over a durable queue: enqueues the database write (`write.job`) on
 * `queue`, then stores `write.value` in `cache`. A worker of the queue
 * (`queue.process(handler)`) is the flusher: it writes to the database with the
 * queue's retries, backoff and dead-lettering.
 *
 * The enqueue comes first because it is the durable intent: a crash between the
 * two steps leaves the cache stale (until its TTL), never an acknowledged write
 * missing from the database. Bad input throws a `ValidationError` before anything
 * is sent. A failed enqueue rejects with the queue's error and touches nothing. A
 * failed cache write after the enqueue does not reject (the write is already
 * durable): the old entry is deleted and the result says `cached: false`.
 *
 * @example
 * const queue = new StreamQueue<ProviderWrite>({ connection, name: 'provider-writes' });
 * await writeBehind(cache, queue, {
 *   key: `provider:${id}`,
 *   value: provider,
 *   job: { table: 'providers', id, values: provider, version: provider.version },
 * });
 * // Elsewhere, the flusher:
 * await queue.process((job) => db.providers.updateIfNewer(job.data)); // skips older versions
 */
export async function writeBehind<J>(cache: Cache, queue: WriteBehindQueue<J>, write: WriteBehindWrite<J>): Promise<WriteBehindResult> {
  validate(cache, queue, write);
  const { key, value, ttlMs, tags, job, jobId } = write;
  const reply = await queue.add(write.jobName ?? 'write-behind', job, jobId === undefined ? {} : { jobId });
  const { id, added } = (typeof reply === 'object' && reply !== null ? reply : {}) as { id?: unknown; added?: unknown };
  const duplicate = added === false;
  const reportedId = typeof id === 'string' ? id : jobId;
  let cached = false;
  try {
    cached = await cache.set(key, value, { ttlMs, tags });
  } catch {
    // Input was validated above, so only Redis trouble gets here; the write is durable either way.
  }
  if (cached) return { queued: true, duplicate, jobId: reportedId, cached, stale: false };
  let stale = false;
  try {
    // A timed-out set may still run on the server; this delete goes down the same connection
    // to the same node after it, so it also removes a late-landing value.
    await cache.delete(key);
  } catch {
    stale = true;
  }
  return { queued: true, duplicate, jobId: reportedId, cached: false, stale };
}

// Everything the queue or the cache would reject is rejected here, before the enqueue:
// an error from cache.set after a successful enqueue would leave a queued write the
// caller believes failed.
function validate<J>(cache: Cache, queue: WriteBehindQueue<J>, write: WriteBehindWrite<J>): void {
  if (typeof queue?.add !== 'function') throw new ValidationError('queue', 'must have an add(name, data, options) method');
  if (write === null || typeof write !== 'object') throw new ValidationError('write', 'must be an object');
  assertKeyPart('key', write.key);
  if (write.ttlMs !== undefined) assertPositiveInteger('ttlMs', write.ttlMs);
  if (write.tags !== undefined) {
    if (!Array.isArray(write.tags)) throw new ValidationError('tags', 'must be an array of strings');
    for (const t of write.tags) assertKeyPart('tags[]', t);
  }
  if (write.job === undefined) throw new ValidationError('job', 'must be the payload the flusher writes, not undefined');
  if (write.jobName !== undefined) assertKeyPart('jobName', write.jobName);
  if (write.jobId !== undefined) assertKeyPart('jobId', write.jobId);
  // null and undefined are cached as "not found" without the serializer.
  if (write.value !== null && write.value !== undefined) {
    try {
      cache.serializer.serialize(write.value);
    } catch (err) {
      throw new ValidationError('value', (err as Error).message);
    }
  }
}

import { ValidationError } from '../core/errors.js';
import { assertKeyPart } from '../core/validation.js';
import type { Cache } from './cache.js';
import { CacheInvalidationError } from './errors.js';

/** What {@link writeThrough} drops after the write. */
export interface WriteThroughTargets {
  /** Entries to delete. Default none. */
  keys?: readonly string[];
  /** Tags to invalidate. Default none. */
  tags?: readonly string[];
}

/**
 * Write-through by invalidation: runs `write` against the database first, then
 * deletes `keys` and invalidates `tags`, so the next read loads the new data.
 * The database is never behind the cache; if the invalidation fails, this
 * rejects with {@link CacheInvalidationError} (the write stands).
 *
 * @example
 * await writeThrough(cache, () => db.providers.update(id, patch), { keys: [`provider:${id}`], tags: ['providers'] });
 */
export async function writeThrough<T>(cache: Cache, write: () => Promise<T>, targets: WriteThroughTargets): Promise<T> {
  if (typeof write !== 'function') throw new ValidationError('write', 'must be a function');
  // Stryker disable next-line ArrayDeclaration: equivalent, a default of valid strings only passes the check
  for (const k of targets.keys ?? []) assertKeyPart('keys[]', k);
  // Stryker disable next-line ArrayDeclaration: equivalent, a default of valid strings only passes the check
  for (const t of targets.tags ?? []) assertKeyPart('tags[]', t);
  const result = await write();
  try {
    if (targets.keys?.length) await cache.delete(targets.keys);
    for (const tag of targets.tags ?? []) await cache.invalidateTag(tag);
  } catch (err) {
    throw new CacheInvalidationError(result, err);
  }
  return result;
}

/**
 * Cache-aside over Redis: `Cache` (stampede protection, stale-while-revalidate,
 * XFetch early refresh, negative caching, tags, an L1 tier kept coherent over
 * pub/sub, fail-open with one Redis deadline per call, events for metrics),
 * `CachingBaseModel` for ORM-style finders that read through the cache,
 * `writeThrough` (database first, then invalidate) and `writeBehind` (cache now, database
 * later through a durable queue such as the queue module's `StreamQueue`, typed structurally
 * so this module does not import it).
 *
 * @packageDocumentation
 */

export { Cache } from './cache.js';
export { type CacheCallOptions, CachingBaseModel, type FinderOptions, type ModelSource, type SourceMethod } from './caching-model.js';
export { CacheInvalidationError, CacheLoadTimeoutError } from './errors.js';
export type { CacheEvents, CacheKeyEvent, CacheOperation } from './events.js';
export type { Loader, LoaderContext } from './load-context.js';
export type { CacheOptions, CacheStats, L1Options, MsetEntry, SetOptions, WrapOptions } from './options.js';
export { type StableKeyOptions, stableKey } from './stable-key.js';
export { type WriteBehindQueue, type WriteBehindResult, type WriteBehindWrite, writeBehind } from './write-behind.js';
export { type WriteThroughTargets, writeThrough } from './write-through.js';

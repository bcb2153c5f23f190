/**
 * Cache-aside over Redis: `Cache` (stampede protection, stale-while-revalidate,
 * XFetch early refresh, negative caching, tags, an L1 tier kept coherent over
 * pub/sub, fail-open timeouts), `CachingBaseModel` for ORM-style finders that
 * read through the cache, and helpers for write-through and write-behind.
 *
 * @packageDocumentation
 */

export { Cache, type Loader } from './cache.js';
export { type CacheCallOptions, CachingBaseModel, type FinderOptions, type ModelSource, type SourceMethod } from './caching-model.js';
export type { CacheEvent, CacheOptions, CacheStats, L1Options, MsetEntry, SetOptions, WrapOptions } from './options.js';
export { type StableKeyOptions, stableKey } from './stable-key.js';
export { CacheInvalidationError, type WriteThroughTargets, writeThrough } from './write-through.js';

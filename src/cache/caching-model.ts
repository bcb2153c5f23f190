// biome-ignore-all lint/complexity/noThisInStatic: `this` is the subclass a finder is called on (ProviderModel), which is the point
import { ValidationError } from '../core/errors.js';
import { assertKeyPart } from '../core/validation.js';
import type { Cache } from './cache.js';
import { stableKey } from './stable-key.js';

/**
 * Where a model's data really comes from: a Sequelize model class (its static
 * API is exactly this shape) or a plain object of async functions for code
 * without an ORM. Only the methods you call need to exist.
 */
export interface ModelSource {
  /** Called as `findAll(options)`; resolves every matching row. */
  findAll?: SourceMethod;
  /** Called as `findByPk(id, options)`; resolves the row or `null`. Used by both `findByPk` and `findById`. */
  findByPk?: SourceMethod;
  /** Fallback for `findByPk` when the source has no `findByPk` (older ORMs), called the same way. */
  findById?: SourceMethod;
  /** Called as `findOne(options)`; resolves the first matching row or `null`. */
  findOne?: SourceMethod;
  /** Called as `count(options)`; resolves the number of matching rows. */
  count?: SourceMethod;
  /** Called as `create(values, options)`; the model's cached results are invalidated after it resolves. */
  create?: SourceMethod;
  /** Called as `update(values, options)`; the model's cached results are invalidated after it resolves. */
  update?: SourceMethod;
  /** Called as `destroy(options)`; the model's cached results are invalidated after it resolves. */
  destroy?: SourceMethod;
}

/**
 * One data-access method of a {@link ModelSource}, called with the finder's
 * arguments (`findByPk(id, options)`, `findAll(options)`, `create(values, options)`, ...).
 * Typed loosely so that ORM signatures (generic, with a `this` type) fit.
 */
export type SourceMethod = (...args: never[]) => Promise<unknown>;

/** The per-call cache switch every finder accepts among its query options. */
export interface CacheCallOptions {
  /** `false` bypasses the cache for this call; `{ ttlMs }` overrides the model's `cacheTtl`. Default: the model's settings. */
  cache?:
    | false
    | {
        /** Fresh TTL of this call's cached result, in ms. Default: the model's `cacheTtl`, else the cache's `ttlMs`. */
        ttlMs?: number;
      };
}

/** A finder's query options (passed on to the source) plus the per-call `cache` switch. */
export type FinderOptions = CacheCallOptions & { [option: string]: unknown };

type ModelClass = typeof CachingBaseModel;
type Finder = 'findAll' | 'findByPk' | 'findOne' | 'count';

/**
 * Base class whose static finders read through a {@link Cache} and whose
 * writes invalidate it, so existing calls such as `ProviderModel.findAll()`
 * keep their shape.
 *
 * - Finders (`findAll`, `findById` / `findByPk`, `findOne`, `count`) cache their
 *   result under a key made of the model name, the finder and its query options
 *   ({@link stableKey}), tagged with the model's tag. A `transaction` option
 *   bypasses the cache (a transaction must see its own writes).
 * - Writes (`create`, `update`, `destroy`) go to the source first, then
 *   invalidate every cached result of the model (write-through by invalidation).
 *   If the invalidation fails the write still stands, cached reads may be stale
 *   up to `cacheTtl`, and the cache's `redisError` event reports the error.
 * - With caching on, results are what the serializer keeps of the source's rows
 *   (`toJSON()` for ORM instances, Dates as ISO strings with JSON): the same on a
 *   miss, a hit and a bypass. With `useCache = false` finders return the source's
 *   own result untouched. Override {@link CachingBaseModel.hydrate}
 *   to turn them back into richer objects.
 *
 * Writes made around the model (raw SQL, Sequelize instance `save()`) must call
 * {@link CachingBaseModel.invalidateCache} themselves.
 *
 * @example
 * CachingBaseModel.cache = new Cache({ connection, ttlMs: 60_000 });
 * class ProviderModel extends CachingBaseModel {
 *   static useCache = true;
 *   static cacheTtl = 60_000;
 *   static source = Provider; // a Sequelize model, or { findAll: async (o) => rows, ... }
 * }
 * await ProviderModel.findAll({ where: { specialty: 'cardiology' } }); // read-through
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a base class to extend, whose statics mirror the ORM's static finders
export class CachingBaseModel {
  /** The cache finders read through; set it once on `CachingBaseModel` or per model. Default none (no caching). */
  static cache: Cache | undefined;
  /** Turns read-through on for this model. Default `false`. */
  static useCache = false;
  /** Fresh TTL of this model's cached results, in ms. Default: the cache's `ttlMs`. */
  static cacheTtl: number | undefined;
  /**
   * Name used in the model's cache keys and its tag (`model:<cacheName>`), which every process
   * must agree on for invalidation to reach it. Default: the class name. Set it when a bundler
   * or minifier renames classes (a class name shorter than 3 characters, or none, is refused
   * with a `ValidationError` for that reason) and when two models share a class name (the
   * second model to be used with the same name emits a process warning, code
   * `REDIS_PATTERNS_CACHE_NAME`: they would read and invalidate each other's entries).
   */
  static cacheName: string | undefined;
  /** Where the data comes from. Required. */
  static source: ModelSource | undefined;

  /** Every row matching `options` (read through the cache). */
  static findAll<R = Record<string, unknown>>(this: ModelClass, options?: FinderOptions): Promise<R[]> {
    return read(this, 'findAll', [], options) as Promise<R[]>;
  }

  /** The row with primary key `id`, or `null` (a miss is negatively cached). */
  static findByPk<R = Record<string, unknown>>(this: ModelClass, id: string | number, options?: FinderOptions): Promise<R | null> {
    return read(this, 'findByPk', [id], options) as Promise<R | null>;
  }

  /** Alias of {@link CachingBaseModel.findByPk}. */
  static findById<R = Record<string, unknown>>(this: ModelClass, id: string | number, options?: FinderOptions): Promise<R | null> {
    return read(this, 'findByPk', [id], options) as Promise<R | null>;
  }

  /** The first row matching `options`, or `null`. */
  static findOne<R = Record<string, unknown>>(this: ModelClass, options?: FinderOptions): Promise<R | null> {
    return read(this, 'findOne', [], options) as Promise<R | null>;
  }

  /** Number of rows matching `options`. */
  static count(this: ModelClass, options?: FinderOptions): Promise<number> {
    return read(this, 'count', [], options) as Promise<number>;
  }

  /** Creates a row in the source, then invalidates the model's cached results. */
  static async create<R = unknown>(this: ModelClass, values: object, options?: Record<string, unknown>): Promise<R> {
    const result = await method(this, 'create')(values, options);
    await this.invalidateCache();
    return result as R;
  }

  /** Updates rows in the source, then invalidates the model's cached results. */
  static async update<R = unknown>(this: ModelClass, values: object, options?: Record<string, unknown>): Promise<R> {
    const result = await method(this, 'update')(values, options);
    await this.invalidateCache();
    return result as R;
  }

  /** Deletes rows in the source, then invalidates the model's cached results. */
  static async destroy<R = unknown>(this: ModelClass, options?: Record<string, unknown>): Promise<R> {
    const result = await method(this, 'destroy')(options);
    await this.invalidateCache();
    return result as R;
  }

  /**
   * Drops every cached result of this model (all finders, all options), on every
   * instance. Resolves how many entries were deleted (0 when Redis failed; the
   * cache's `redisError` event reports it).
   */
  static async invalidateCache(this: ModelClass): Promise<number> {
    const cache = this.cache;
    if (!cache) return 0;
    return cache.invalidateTag(modelTag(this)).catch(() => 0);
  }

  /** Turns one cached row (plain JSON) into what finders return. Default: the row itself. */
  static hydrate(this: ModelClass, row: unknown): unknown {
    return row;
  }
}

/** The tag every cached result of `model` carries. */
function modelTag(model: ModelClass): string {
  return `model:${cacheNameOf(model)}`;
}

const namedModels = new Map<string, ModelClass>();
const warnedNames = new Set<string>();

function cacheNameOf(model: ModelClass): string {
  const name = model.cacheName ?? model.name;
  if (model.cacheName === undefined && model.name.length < 3) {
    throw new ValidationError(
      'cacheName',
      `class name ${JSON.stringify(model.name)} looks minified or anonymous: set static cacheName, the same in every process`,
    );
  }
  assertKeyPart('cacheName', name);
  const first = namedModels.get(name);
  if (first === undefined) namedModels.set(name, model);
  else if (first !== model && !warnedNames.has(name)) {
    warnedNames.add(name);
    process.emitWarning(`two CachingBaseModel classes share the cache name ${JSON.stringify(name)}: set static cacheName on one of them`, {
      code: 'REDIS_PATTERNS_CACHE_NAME',
    });
  }
  return name;
}

function method(model: ModelClass, name: keyof ModelSource): (...args: unknown[]) => Promise<unknown> {
  const source = model.source as Record<string, unknown> | undefined;
  if (!source) throw new ValidationError('source', `${model.name}.source is not set`);
  let fn = source[name];
  if (name === 'findByPk' && typeof fn !== 'function') fn = source.findById;
  if (typeof fn !== 'function') throw new ValidationError(name, `${model.name}.source has no ${name}()`);
  return (...args) => (fn as (...a: unknown[]) => Promise<unknown>).apply(source, args);
}

async function read(model: ModelClass, finder: Finder, args: unknown[], options: FinderOptions | undefined): Promise<unknown> {
  const { cache: perCall, ...query } = options ?? {};
  const call = method(model, finder);
  const queryArgs = options === undefined ? args : [...args, query];
  const cache = model.cache;
  // Caching off: the source's own result, untouched, so turning it on is the only change.
  if (!model.useCache || !cache) return call(...queryArgs);
  const serializer = cache.serializer;
  // A serializer round trip, so a miss (or a bypass) returns exactly what a later hit will.
  const load = async () => {
    const plain = toPlain(await call(...queryArgs));
    return plain == null ? null : serializer.deserialize(serializer.serialize(plain));
  };
  if (perCall === false || 'transaction' in query) return shape(model, finder, await load());
  const ttlMs = perCall?.ttlMs ?? model.cacheTtl;
  const key = `model:${cacheNameOf(model)}:${finder}:${stableKey(args.length ? [args, query] : query)}`;
  const value = await cache.wrap(key, load, { tags: [modelTag(model)], ...(ttlMs === undefined ? {} : { ttlMs }) });
  return shape(model, finder, value);
}

function shape(model: ModelClass, finder: Finder, value: unknown): unknown {
  if (finder === 'count') return Number(value);
  if (Array.isArray(value)) return value.map((row) => model.hydrate(row));
  return value == null ? null : model.hydrate(value);
}

// ORM instances (Sequelize and most others) expose their data through toJSON().
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON(): unknown }).toJSON();
  }
  return value;
}

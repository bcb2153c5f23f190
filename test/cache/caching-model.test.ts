import { deserialize, serialize } from 'node:v8';
import { Op } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, startDatabase } from '../../examples/provider-availability/database.js';
import { startRedis } from '../../scripts/lib/redis-servers.js';
import { Cache, CachingBaseModel, stableKey } from '../../src/cache/index.js';
import { type Serializer, ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { defaultLayout } from './helpers.js';

interface ProviderRow {
  id: number;
  name: string;
  specialty: string;
  city: string;
}

describe(`CachingBaseModel over Sequelize + PGlite on ${target} via ${driver}`, () => {
  let db: Database;
  beforeAll(async () => {
    db = await startDatabase();
  });
  afterAll(async () => {
    await db?.stop();
  });

  async function model(name: string) {
    const cache = new Cache({ connection: await testConnection(), ttlMs: 60_000 });
    const source = db.Provider;
    // A model class as application code writes it; `cacheName` keeps test runs apart.
    class ProviderModel extends CachingBaseModel {
      static override useCache = true;
      static override cacheTtl = 30_000;
      static override cacheName = name;
      static override source = source;
      static override cache = cache;
    }
    return { ProviderModel, cache };
  }

  it('the second findAll is a cache hit (no database query, one GET); create invalidates it', async () => {
    const { ProviderModel, cache } = await model('p1');
    const before = db.selects();
    const first = await ProviderModel.findAll<ProviderRow>({ where: { specialty: 'cardiology' }, order: [['id', 'ASC']] });
    expect(first.map((p) => p.name)).toEqual(['Dr. Ada Park', 'Dr. Ben Ito']);
    expect(db.selects()).toBe(before + 1);
    await cache.settled(); // the first call's store, sent without making it wait
    const { result, byCommand } = await countCommands(cache.connection, () =>
      ProviderModel.findAll<ProviderRow>({ order: [['id', 'ASC']], where: { specialty: 'cardiology' } }),
    );
    expect(result).toEqual(first);
    expect(byCommand).toEqual({ get: 1 });
    expect(db.selects()).toBe(before + 1);

    await ProviderModel.create({ name: 'Dr. Dee Fox', specialty: 'cardiology', city: 'Boston' });
    const after = await ProviderModel.findAll<ProviderRow>({ where: { specialty: 'cardiology' }, order: [['id', 'ASC']] });
    expect(after.map((p) => p.name)).toContain('Dr. Dee Fox');
    expect(db.selects()).toBe(before + 2);
    await ProviderModel.destroy({ where: { name: 'Dr. Dee Fox' } });
    expect((await ProviderModel.findAll<ProviderRow>({ where: { specialty: 'cardiology' } })).length).toBe(2);
  });

  it('query options are part of the key (including Sequelize Op symbols)', async () => {
    const { ProviderModel } = await model('p2');
    const before = db.selects();
    const boston = await ProviderModel.findAll<ProviderRow>({ where: { city: 'Boston' } });
    const notBoston = await ProviderModel.findAll<ProviderRow>({ where: { city: { [Op.ne]: 'Boston' } } });
    const likeB = await ProviderModel.findAll<ProviderRow>({ where: { city: { [Op.like]: 'B%' } } });
    expect(boston.every((p) => p.city === 'Boston')).toBe(true);
    expect(notBoston.every((p) => p.city !== 'Boston')).toBe(true);
    expect(likeB.length).toBe(boston.length);
    expect(db.selects()).toBe(before + 3);
    await ProviderModel.findAll({ where: { city: { [Op.ne]: 'Boston' } } });
    expect(db.selects()).toBe(before + 3);
  });

  it('findByPk / findById / findOne / count read through; a missing id is negatively cached', async () => {
    const { ProviderModel } = await model('p3');
    const before = db.selects();
    const ada = await ProviderModel.findByPk<ProviderRow>(1);
    expect(ada?.name).toBe('Dr. Ada Park');
    expect((await ProviderModel.findById<ProviderRow>(1))?.name).toBe('Dr. Ada Park');
    expect(await ProviderModel.findByPk(99_999)).toBeNull();
    expect(await ProviderModel.findByPk(99_999)).toBeNull();
    expect((await ProviderModel.findOne<ProviderRow>({ where: { name: 'Dr. Ben Ito' } }))?.city).toBe('Cambridge');
    expect(await ProviderModel.count({ where: { specialty: 'cardiology' } })).toBe(2);
    expect(await ProviderModel.count({ where: { specialty: 'cardiology' } })).toBe(2);
    expect(await ProviderModel.findOne({ where: { name: 'Dr. Ben Ito' } })).not.toBeNull();
    // findByPk(1) twice + findById(1) share one key; 99999 twice one query; findOne and count once each.
    expect(db.selects()).toBe(before + 4);
  });

  it('update invalidates; per-call opt-out and a transaction bypass the cache', async () => {
    const { ProviderModel } = await model('p4');
    await ProviderModel.findByPk(2);
    const before = db.selects();
    await ProviderModel.findByPk(2, { cache: false });
    expect(db.selects()).toBe(before + 1);
    await db.sequelize.transaction(async (transaction) => {
      await ProviderModel.findByPk(2, { transaction });
    });
    expect(db.selects()).toBe(before + 2);
    await ProviderModel.update({ city: 'Somerville' }, { where: { id: 2 } });
    expect((await ProviderModel.findByPk<ProviderRow>(2))?.city).toBe('Somerville');
    await ProviderModel.update({ city: 'Cambridge' }, { where: { id: 2 } });
    expect((await ProviderModel.findByPk<ProviderRow>(2))?.city).toBe('Cambridge');
  });

  it('a hit returns the same shape as the miss (plain rows, dates as strings)', async () => {
    const { ProviderModel } = await model('p5');
    const miss = await ProviderModel.findByPk<ProviderRow & { createdAt: unknown }>(1);
    const hit = await ProviderModel.findByPk<ProviderRow & { createdAt: unknown }>(1);
    expect(hit).toEqual(miss);
    expect(typeof miss?.createdAt).toBe('string');
  });

  it('useCache = false leaves the source untouched (Sequelize instances, every call queries)', async () => {
    const source = db.Provider;
    const cache = new Cache({ connection: await testConnection(), ttlMs: 60_000 });
    class Plain extends CachingBaseModel {
      static override source = source;
      static override cache = cache;
    }
    const before = db.selects();
    const row = await Plain.findByPk(1);
    await Plain.findByPk(1);
    expect(db.selects()).toBe(before + 2);
    expect(row).toBeInstanceOf(source);
  });
});

describe(`CachingBaseModel over plain async loaders on ${target} via ${driver}`, () => {
  it('reads through and invalidates on writes', async () => {
    const rows = new Map<number, { id: number; plan: string }>([[1, { id: 1, plan: 'gold' }]]);
    let reads = 0;
    const cache = new Cache({ connection: await testConnection(), ttlMs: 60_000 });
    class InsuranceMapping extends CachingBaseModel {
      static override useCache = true;
      static override cache = cache;
      static override source = {
        async findAll() {
          reads++;
          return [...rows.values()];
        },
        async findById(id: unknown) {
          reads++;
          return rows.get(Number(id)) ?? null;
        },
        async create(values: object) {
          const row = { id: rows.size + 1, ...(values as { plan: string }) };
          rows.set(row.id, row);
          return row;
        },
      };
    }
    expect(await InsuranceMapping.findAll()).toEqual([{ id: 1, plan: 'gold' }]);
    expect(await InsuranceMapping.findAll()).toEqual([{ id: 1, plan: 'gold' }]);
    expect(await InsuranceMapping.findById(1)).toEqual({ id: 1, plan: 'gold' });
    expect(reads).toBe(2);
    await InsuranceMapping.create({ plan: 'silver' });
    expect(await InsuranceMapping.findAll()).toHaveLength(2);
    expect(reads).toBe(3);
    await expect(InsuranceMapping.count()).rejects.toBeInstanceOf(ValidationError);
  });

  it('refuses a minified class name without cacheName, and warns when two models share a name', async () => {
    const cache = new Cache({ connection: await testConnection(), ttlMs: 60_000 });
    const source = { findAll: async () => [{ id: 1 }] };
    // What a minifier leaves of `class ProviderModel extends CachingBaseModel`.
    const Minified = class e extends CachingBaseModel {
      static override useCache = true;
      static override cache = cache;
      static override source = source;
    };
    const { byCommand } = await countCommands(cache.connection, () => expect(Minified.findAll()).rejects.toBeInstanceOf(ValidationError));
    expect(byCommand).toEqual({});
    class Named extends Minified {
      static override cacheName = 'named-model';
    }
    expect(await Named.findAll()).toEqual([{ id: 1 }]);

    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const first = class SharedName extends CachingBaseModel {
        static override useCache = true;
        static override cache = cache;
        static override source = source;
      };
      const second = class SharedName extends CachingBaseModel {
        static override useCache = true;
        static override cache = cache;
        static override source = source;
      };
      await first.findAll();
      await first.findAll();
      expect(warnings).toEqual([]);
      await second.findAll();
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => (w as { code?: string }).code)).toEqual(['REDIS_PATTERNS_CACHE_NAME']);
      expect(warnings[0]?.message).toContain('share the cache name "SharedName"');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe(`CachingBaseModel result shapes and options over plain async loaders on ${target} via ${driver}`, () => {
  // An ORM instance: its data behind toJSON(), beside bookkeeping that must not be cached.
  class OrmRow {
    readonly _previous = { stale: true };
    constructor(readonly dataValues: Record<string, unknown>) {}
    toJSON() {
      return this.dataValues;
    }
  }
  // A serializer that does not go through JSON.stringify, so nothing calls toJSON() for the model.
  const v8Serializer: Serializer = {
    serialize: (value) => serialize(value).toString('base64'),
    deserialize: <T>(raw: string) => deserialize(Buffer.from(raw, 'base64')) as T,
  };

  it('rows exposing toJSON() are cached as their data, alone and in arrays, whatever the serializer', async () => {
    const cache = new Cache({ connection: await testConnection(), ttlMs: 60_000, serializer: v8Serializer });
    class StructuredModel extends CachingBaseModel {
      static override useCache = true;
      static override cache = cache;
      static override source = {
        findAll: async () => [new OrmRow({ id: 1, plan: 'gold' }), new OrmRow({ id: 2, plan: 'silver' })],
        findByPk: async (id: unknown) => new OrmRow({ id, plan: 'gold' }),
      };
    }
    const rows = [
      { id: 1, plan: 'gold' },
      { id: 2, plan: 'silver' },
    ];
    expect(await StructuredModel.findAll()).toEqual(rows);
    await cache.settled();
    expect(await StructuredModel.findAll()).toEqual(rows);
    expect(await StructuredModel.findByPk(1)).toEqual({ id: 1, plan: 'gold' });
  });

  it('hydrate gets each row of a list; a missing row stays null and count stays a number', async () => {
    class Mapping {
      constructor(readonly row: unknown) {}
    }
    const cache = new Cache({ connection: await testConnection(), ttlMs: 60_000 });
    class HydratedModel extends CachingBaseModel {
      static override useCache = true;
      static override cache = cache;
      static override source = {
        findAll: async () => [{ id: 1 }, { id: 2 }],
        findByPk: async () => null,
        count: async () => 2,
      };
      static override hydrate(row: unknown) {
        return new Mapping(row);
      }
    }
    for (let pass = 0; pass < 2; pass++) {
      const all = await HydratedModel.findAll<Mapping>();
      expect(all).toEqual([new Mapping({ id: 1 }), new Mapping({ id: 2 })]);
      expect(all[0]).toBeInstanceOf(Mapping);
      expect(await HydratedModel.findByPk(7)).toBeNull();
      expect(await HydratedModel.count()).toBe(2);
      await cache.settled(); // the second pass reads hits
    }
  });

  it('a loader reporting a missing row as undefined reads as null', async () => {
    const cache = new Cache({ connection: await testConnection(), ttlMs: 60_000 });
    const rows = new Map([[1, { id: 1 }]]);
    class MapModel extends CachingBaseModel {
      static override useCache = true;
      static override cache = cache;
      static override source = { findByPk: async (id: unknown) => rows.get(Number(id)) };
    }
    expect(await MapModel.findByPk(2)).toBeNull();
    expect(await MapModel.findByPk(2, { cache: false })).toBeNull();
  });

  it('the source gets the finder arguments as given, without the cache switch and with no options added', async () => {
    const calls: unknown[][] = [];
    const cache = new Cache({ connection: await testConnection(), ttlMs: 60_000 });
    class RecordingModel extends CachingBaseModel {
      static override useCache = true;
      static override cache = cache;
      static override source = {
        findAll: async (...args: unknown[]) => {
          calls.push(args);
          return [];
        },
        findByPk: async (...args: unknown[]) => {
          calls.push(args);
          return null;
        },
      };
    }
    await RecordingModel.findAll();
    await RecordingModel.findByPk(1);
    await RecordingModel.findAll({ where: { plan: 'gold' }, cache: { ttlMs: 1000 } });
    expect(calls).toEqual([[], [1], [{ where: { plan: 'gold' } }]]);
  });

  it("entries live for the per-call ttlMs, else the model's cacheTtl, else the cache's ttlMs", async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const layout = defaultLayout(connection);
    const pttlOf = async (name: string, query: object) => {
      await cache.settled(); // the miss's store, sent without making the finder wait
      const entry = layout.of(`model:${name}:findAll:${stableKey(query)}`).entry;
      return Number(await connection.send(['PTTL', entry], entry));
    };
    const source = { findAll: async () => [{ id: 1 }] };
    class DefaultTtl extends CachingBaseModel {
      static override useCache = true;
      static override cache = cache;
      static override source = source;
    }
    class ModelTtl extends DefaultTtl {
      static override cacheTtl = 30_000;
    }
    await DefaultTtl.findAll();
    await ModelTtl.findAll();
    await ModelTtl.findAll({ where: { id: 1 }, cache: { ttlMs: 5_000 } });
    // Margins of many seconds: only which of the three TTLs was used matters.
    const byCache = await pttlOf('DefaultTtl', {});
    expect(byCache).toBeGreaterThan(30_000);
    expect(byCache).toBeLessThanOrEqual(60_000);
    const byModel = await pttlOf('ModelTtl', {});
    expect(byModel).toBeGreaterThan(5_000);
    expect(byModel).toBeLessThanOrEqual(30_000);
    const byCall = await pttlOf('ModelTtl', { where: { id: 1 } });
    expect(byCall).toBeGreaterThan(0);
    expect(byCall).toBeLessThanOrEqual(5_000);
  });

  it('without a cache, finders and writes go to the source and invalidateCache resolves 0', async () => {
    const rows: object[] = [];
    class Uncached extends CachingBaseModel {
      static override useCache = true;
      static override source = {
        findAll: async () => [...rows],
        create: async (values: object) => {
          rows.push(values);
          return values;
        },
      };
    }
    expect(await Uncached.create({ plan: 'gold' })).toEqual({ plan: 'gold' });
    expect(await Uncached.findAll()).toEqual([{ plan: 'gold' }]);
    expect(await Uncached.invalidateCache()).toBe(0);
  });

  it('with Redis down a write still stands and invalidateCache resolves 0, reporting the error', async () => {
    const server = await startRedis();
    const { connection, close } = await privateConnection(server);
    try {
      const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 200 });
      const errors: unknown[] = [];
      cache.on('redisError', (e) => errors.push(e));
      const rows: object[] = [];
      class Offline extends CachingBaseModel {
        static override useCache = true;
        static override cache = cache;
        static override source = {
          create: async (values: object) => {
            rows.push(values);
            return values;
          },
        };
      }
      await server.stop();
      expect(await Offline.create({ plan: 'gold' })).toEqual({ plan: 'gold' });
      expect(rows).toEqual([{ plan: 'gold' }]);
      expect(await Offline.invalidateCache()).toBe(0);
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      close();
      await server.stop();
    }
  });

  it('a model without a source, or without the finder, is refused with a ValidationError naming it', async () => {
    class NoSource extends CachingBaseModel {
      static override useCache = true;
    }
    const noSource = await NoSource.findAll().catch((e: unknown) => e);
    expect(noSource).toBeInstanceOf(ValidationError);
    expect(noSource).toMatchObject({ field: 'source', message: 'source: NoSource.source is not set' });
    class NoCount extends NoSource {
      static override source = { findAll: async () => [] };
    }
    const noCount = await NoCount.count().catch((e: unknown) => e);
    expect(noCount).toBeInstanceOf(ValidationError);
    expect(noCount).toMatchObject({ field: 'count', message: 'count: NoCount.source has no count()' });
  });

  it('a short class name is accepted with cacheName, a three-letter one without; a bad cacheName is refused', async () => {
    const cache = new Cache({ connection: await testConnection(), ttlMs: 60_000 });
    const source = { findAll: async () => [{ id: 1 }] };
    const Short = class e extends CachingBaseModel {
      static override useCache = true;
      static override cache = cache;
      static override source = source;
    };
    const refused = await Short.findAll().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({ field: 'cacheName', message: expect.stringContaining('class name "e" looks minified') });
    const Named = class e extends Short {
      static override cacheName = 'short-named-model';
    };
    expect(await Named.findAll()).toEqual([{ id: 1 }]);
    const Abc = class Abc extends Short {};
    expect(await Abc.findAll()).toEqual([{ id: 1 }]);
    const Bad = class Bad extends Short {
      static override cacheName = '';
    };
    await expect(Bad.findAll()).rejects.toMatchObject({ field: 'cacheName' });
  });
});

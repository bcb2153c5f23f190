import { Op } from 'sequelize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, startDatabase } from '../../examples/provider-availability/database.js';
import { Cache, CachingBaseModel } from '../../src/cache/index.js';
import { ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';

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
    } finally {
      process.off('warning', onWarning);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { GeoIndex, GeoMemberNotFoundError, GeoRebuildError } from '../../src/geo/index.js';
import { type RedisArg, ValidationError } from '../../src/index.js';
import type { LuaScript } from '../../src/kit/index.js';
import { countCommands } from '../harness/command-counter.js';
import { modulesAtRiskAfter } from '../harness/full-server.js';
import { expectTypedOutage } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { tracedOperations } from '../harness/traced.js';
import { expectInvalid } from '../harness/validation.js';
import { boxExcess, haversine, type Pharmacy, pharmacies } from './dataset.js';

const POINTS = pharmacies(3000);
const byMember = new Map(POINTS.map((p) => [p.member, p]));
// Stored positions are geohashes precise to about 0.6 m: points this close to the edge may fall either way.
const EDGE_M = 1;

async function loadedIndex() {
  const connection = await testConnection();
  const index = new GeoIndex<Pharmacy>({ connection, name: 'pharmacies' });
  await index.addMany(POINTS);
  return { connection, index };
}

describe(`GeoIndex on ${target} via ${driver}`, () => {
  it('finds exactly the points a brute-force haversine finds within a radius, nearest first, with payloads', async () => {
    const { connection, index } = await loadedIndex();
    expect(await index.size()).toBe(POINTS.length);
    const centers = pharmacies(12, 7).map(({ lon, lat }) => ({ lon, lat }));
    for (const center of centers) {
      const found = await index.nearby(center, { radius: 5, unit: 'km' });
      const expected = POINTS.filter((p) => haversine(center, p) <= 5000 - EDGE_M).map((p) => p.member);
      const members = new Set(found.map((r) => r.member));
      for (const m of expected) expect(members.has(m), `${m} missing`).toBe(true);
      for (const r of found) {
        const p = byMember.get(r.member)!;
        const d = haversine(center, p);
        expect(d).toBeLessThanOrEqual(5000 + EDGE_M);
        expect(Math.abs((r.distance as number) * 1000 - d)).toBeLessThan(EDGE_M);
        expect(r.payload).toEqual(p.payload);
        expect(r.position).toBeUndefined();
      }
      const distances = found.map((r) => r.distance as number);
      expect(distances).toEqual([...distances].sort((a, b) => a - b));
      expect(found.length).toBeGreaterThan(10);
    }
    const { byCommand, total } = await countCommands(connection, () => index.nearby(centers[0]!, { radius: 5000 }));
    expect(byCommand).toEqual({ evalsha: 1, geosearch: 1, hmget: 1 });
    expect(total).toBe(3);
  });

  it('finds exactly the points inside a box', async () => {
    const { index } = await loadedIndex();
    const center = { lon: -74.0, lat: 40.72 };
    const found = await index.nearby(center, { box: { width: 8, height: 3 }, unit: 'km', withPayload: false });
    const members = new Set(found.map((r) => r.member));
    for (const p of POINTS) {
      const excess = boxExcess(center, p, 8000, 3000);
      if (excess < -EDGE_M) expect(members.has(p.member), `${p.member} missing`).toBe(true);
      if (excess > EDGE_M) expect(members.has(p.member), `${p.member} outside`).toBe(false);
    }
    expect(found.length).toBeGreaterThan(10);
    expect(found.every((r) => r.payload === undefined)).toBe(true);
  });

  it('searches from a member with count, descending order and coordinates', async () => {
    const { connection, index } = await loadedIndex();
    const from = POINTS[100]!;
    const nearest = await index.nearby({ member: from.member }, { radius: 3, unit: 'km', count: 5, withCoordinates: true });
    const brute = POINTS.map((p) => ({ m: p.member, d: haversine(from, p) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 5);
    expect(nearest.map((r) => r.member)).toEqual(brute.map((b) => b.m));
    expect(nearest[0]).toMatchObject({ member: from.member, distance: 0 });
    for (const r of nearest) {
      const p = byMember.get(r.member)!;
      expect(haversine(r.position!, p)).toBeLessThan(EDGE_M);
    }
    const farthest = await index.nearby({ member: from.member }, { radius: 3, unit: 'km', sort: 'desc', count: 3, withDistance: false });
    expect(farthest.every((r) => r.distance === undefined)).toBe(true);
    const all = await index.nearby(from, { radius: 3, unit: 'km' });
    expect(farthest.map((r) => r.member)).toEqual(
      all
        .slice(-3)
        .reverse()
        .map((r) => r.member),
    );
    const { byCommand } = await countCommands(connection, () => index.nearby(from, { radius: 3000, withPayload: false }));
    expect(byCommand).toEqual({ evalsha: 1, geosearch: 1 });
    const missing = index.nearby({ member: 'ph-none' }, { radius: 1 });
    await expect(missing).rejects.toBeInstanceOf(GeoMemberNotFoundError);
    await expect(missing).rejects.toMatchObject({ code: GeoMemberNotFoundError.code, member: 'ph-none' });
    await expect(missing).rejects.toMatchObject({ code: 'GEO_MEMBER_NOT_FOUND', message: 'member "ph-none" is not in the geo index' });
  });

  it('adds, moves and removes members with their payloads', async () => {
    const connection = await testConnection();
    const index = new GeoIndex<{ name: string }>({ connection, name: 'shops' });
    expect(await index.add({ member: 'a', lon: 13.4, lat: 52.52, payload: { name: 'A' } })).toBe(true);
    const { result, byCommand } = await countCommands(connection, () =>
      index.add({ member: 'b', lon: 13.41, lat: 52.52, payload: { name: 'B' } }),
    );
    expect(result).toBe(true);
    expect(byCommand).toEqual({ evalsha: 1, geoadd: 1, hset: 1 });
    expect(await index.distance('a', 'b')).toBeCloseTo(haversine({ lon: 13.4, lat: 52.52 }, { lon: 13.41, lat: 52.52 }), 0);
    expect(await index.distance('a', 'zzz')).toBeNull();
    // Moving a member without a payload drops its old payload.
    expect(await index.add({ member: 'a', lon: 2.35, lat: 48.85 })).toBe(false);
    const pos = await index.position('a');
    expect(pos!.lon).toBeCloseTo(2.35, 5);
    expect(pos!.lat).toBeCloseTo(48.85, 5);
    expect(await index.position('zzz')).toBeNull();
    const paris = await index.nearby({ lon: 2.35, lat: 48.85 }, { radius: 1, unit: 'km' });
    expect(paris).toEqual([{ member: 'a', distance: expect.any(Number) }]);
    expect(await index.remove('a', 'zzz')).toBe(1);
    const berlin = await index.nearby({ lon: 13.4, lat: 52.52 }, { radius: 10, unit: 'km' });
    expect(berlin.map((r) => [r.member, r.payload])).toEqual([['b', { name: 'B' }]]);
    expect(await index.size()).toBe(1);
    expect(await index.remove()).toBe(0);
    // A member listed twice keeps its last entry, payload or not.
    await index.addMany([
      { member: 'dup', lon: 1, lat: 1 },
      { member: 'dup', lon: 1, lat: 1, payload: { name: 'last' } },
    ]);
    expect((await index.nearby({ lon: 1, lat: 1 }, { radius: 1 }))[0]?.payload).toEqual({ name: 'last' });
  });

  it('removing members removes their payloads: an emptied index leaves no keys', async () => {
    const connection = await testConnection();
    const index = new GeoIndex<{ name: string }>({ connection, name: 'emptied' });
    await index.addMany([
      { member: 'a', lon: 13.4, lat: 52.52, payload: { name: 'A' } },
      { member: 'b', lon: 13.41, lat: 52.52, payload: { name: 'B' } },
    ]);
    expect(await index.remove('a')).toBe(1);
    const payloads = connection.keys('geo').key('emptied', 'payloads');
    expect(await connection.send(['HKEYS', payloads], payloads)).toEqual(['b']);
    expect(await index.remove('b')).toBe(1);
    const points = connection.keys('geo').key('emptied', 'points');
    expect(Number(await connection.send(['EXISTS', points, payloads], points))).toBe(0);
  });

  it('replaceAll with items without payloads drops the old payloads', async () => {
    const connection = await testConnection();
    const index = new GeoIndex<{ name: string }>({ connection, name: 'unlabelled' });
    await index.add({ member: 'a', lon: 13.4, lat: 52.52, payload: { name: 'old' } });
    expect(await index.replaceAll([{ member: 'a', lon: 13.4, lat: 52.52 }])).toBe(1);
    const found = await index.nearby({ lon: 13.4, lat: 52.52 }, { radius: 1 });
    expect(found).toHaveLength(1);
    expect(found[0]?.member).toBe('a');
    expect(found[0]?.payload).toBeUndefined();
  });

  it('loads in chunks, one script call per chunk', async () => {
    const connection = await testConnection();
    const index = new GeoIndex<Pharmacy>({ connection, name: 'chunks', chunkSize: 400 });
    const { result, byCommand } = await countCommands(connection, () => index.addMany(POINTS.slice(0, 1000)));
    expect(result).toBe(1000);
    expect(byCommand.evalsha).toBe(3);
    expect(byCommand.geoadd).toBe(3);
    expect(await index.addMany(POINTS.slice(500, 1200))).toBe(200);
  });

  it('replaceAll swaps in a complete index atomically: readers see the old or the new one, never a mix', async () => {
    const connection = await testConnection();
    const index = new GeoIndex<Pharmacy>({ connection, name: 'nightly', chunkSize: 100 });
    const old = POINTS.slice(0, 500);
    const fresh = pharmacies(2500, 99).map((p) => ({ ...p, member: `new-${p.member}` }));
    await index.addMany(old);
    let done = false;
    const seen = new Set<string>();
    const reader = (async () => {
      while (!done) {
        const found = await index.nearby({ lon: -74, lat: 40.72 }, { radius: 100, unit: 'km', withPayload: false, withDistance: false });
        const kinds = new Set(found.map((r) => (r.member.startsWith('new-') ? 'new' : 'old')));
        seen.add([...kinds].sort().join('+') || 'empty');
        expect(found.length === old.length || found.length === fresh.length).toBe(true);
      }
    })();
    expect(await index.replaceAll([...fresh, fresh[0]!])).toBe(fresh.length);
    done = true;
    await reader;
    expect(seen.has('new+old')).toBe(false);
    expect(seen.has('empty')).toBe(false);
    expect(await index.size()).toBe(fresh.length);
    const ks = connection.keys('geo');
    for (const part of ['points', 'payloads']) {
      const key = ks.key('nightly', part);
      expect(Number(await connection.send(['PTTL', key], key))).toBe(-1);
    }
    const leftovers: string[] = [];
    for await (const keys of connection.scan(`${ks.stem('nightly').replace(/[{}]/g, '\\$&')}:rebuild:*`)) leftovers.push(...keys);
    expect(leftovers).toEqual([]);
    const near = await index.nearby(fresh[0]!, { radius: 1, count: 1 });
    expect(near[0]).toMatchObject({ member: fresh[0]!.member, payload: fresh[0]!.payload });
    expect(await index.replaceAll([])).toBe(0);
    expect(await index.size()).toBe(0);
  });

  it('replaceAll leaves the live index untouched when the temporary index is incomplete at the swap', async () => {
    const real = await testConnection();
    // Real Redis throughout; the proxy only deletes the temporary points right before the swap,
    // as if they had expired because the load outlived rebuildTtlMs.
    const connection = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'run') return Reflect.get(target, prop, receiver);
        return async (script: LuaScript, keys: string[], args: RedisArg[]) => {
          if (script.name === 'geo/swap') await target.send(['DEL', keys[0] as string], keys[0]);
          return target.run(script, keys, args);
        };
      },
    });
    const index = new GeoIndex<Pharmacy>({ connection, name: 'broken' });
    await index.addMany(POINTS.slice(0, 50));
    const rebuild = index.replaceAll(POINTS.slice(100, 400));
    await expect(rebuild).rejects.toBeInstanceOf(GeoRebuildError);
    await expect(rebuild).rejects.toMatchObject({ code: 'GEO_REBUILD', message: expect.stringContaining('0 of 300 members') });
    expect(await index.size()).toBe(50);
    const near = await index.nearby(POINTS[0]!, { radius: 1, count: 1 });
    expect(near[0]).toMatchObject({ member: POINTS[0]!.member, payload: POINTS[0]!.payload });
    const leftovers: string[] = [];
    const ks = real.keys('geo');
    for await (const keys of real.scan(`${ks.stem('broken').replace(/[{}]/g, '\\$&')}:rebuild:*`)) leftovers.push(...keys);
    expect(leftovers).toEqual([]);
  });

  it('replaceAll loads into temporary keys that expire after rebuildTtlMs', async () => {
    const real = await testConnection();
    const ttls: number[] = [];
    // Real Redis throughout; the proxy only reads the temporary keys' TTL right before the swap.
    const connection = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'run') return Reflect.get(target, prop, receiver);
        return async (script: LuaScript, keys: string[], args: RedisArg[]) => {
          if (script.name === 'geo/swap') {
            for (const key of keys.slice(0, 2)) ttls.push(Number(await target.send(['PTTL', key], key)));
          }
          return target.run(script, keys, args);
        };
      },
    });
    const index = new GeoIndex<Pharmacy>({ connection, name: 'ttl', rebuildTtlMs: 60_000 });
    expect(await index.replaceAll(POINTS.slice(0, 20))).toBe(20);
    expect(ttls).toHaveLength(2);
    for (const ttl of ttls) {
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });

  it('rejects bad input before sending anything', async () => {
    const connection = await testConnection();
    const index = new GeoIndex({ connection, name: 'v' });
    const here = { lon: 0, lat: 0 };
    const { total } = await countCommands(connection, async () => {
      await expect(index.add({ member: 'x', lon: 0, lat: 85.06 })).rejects.toThrow(ValidationError);
      await expect(index.add({ member: 'x', lon: -180.01, lat: 0 })).rejects.toThrow(ValidationError);
      await expect(index.add({ member: '', lon: 0, lat: 0 })).rejects.toThrow(ValidationError);
      await expect(
        index.addMany([
          { member: 'ok', lon: 1, lat: 1 },
          { member: 'bad', lon: Number.NaN, lat: 1 },
        ]),
      ).rejects.toThrow(ValidationError);
      await expect(index.replaceAll([{ member: 'bad', lon: 0, lat: -90 }])).rejects.toThrow(ValidationError);
      await expect(index.nearby(here, { radius: 0 })).rejects.toThrow(ValidationError);
      await expect(index.nearby(here, { radius: -1 })).rejects.toThrow(ValidationError);
      await expect(index.nearby(here, {})).rejects.toThrow(ValidationError);
      await expect(index.nearby(here, { radius: 1, box: { width: 1, height: 1 } })).rejects.toThrow(ValidationError);
      await expect(index.nearby(here, { box: { width: 1, height: 0 } })).rejects.toThrow(ValidationError);
      await expect(index.nearby(here, { radius: 1, unit: 'yd' as 'm' })).rejects.toThrow(ValidationError);
      await expect(index.nearby(here, { radius: 1, count: 0 })).rejects.toThrow(ValidationError);
      await expect(index.nearby(here, { radius: 1, any: true })).rejects.toThrow(ValidationError);
      await expect(index.nearby({ lon: 0, lat: 86 }, { radius: 1 })).rejects.toThrow(ValidationError);
      await expect(index.nearby({ member: '' }, { radius: 1 })).rejects.toThrow(ValidationError);
      await expect(index.distance('a', 'b', 'yd' as 'm')).rejects.toThrow(ValidationError);
    });
    expect(total).toBe(0);
    expect(() => new GeoIndex({ connection, name: '' })).toThrow(ValidationError);
    expect(() => new GeoIndex({ connection, name: 'x', chunkSize: 5000 })).toThrow(ValidationError);
    expect(() => new GeoIndex({ connection, name: 'x', rebuildTtlMs: 0 })).toThrow(ValidationError);
    expect(() => new GeoIndex({ connection, name: 'x', rebuildTtlMs: 1.5 })).toThrow(ValidationError);
    // The limits themselves are accepted.
    await expect(index.add({ member: 'edge', lon: 180, lat: -85.05112878 })).resolves.toBe(true);
  });

  it('names the bad field and what is wrong with it, before sending anything', async () => {
    const connection = await testConnection();
    const index = new GeoIndex({ connection, name: 'v' });
    const here = { lon: 0, lat: 0 };
    const { total } = await countCommands(connection, async () => {
      for (const [call, field, detail] of [
        [() => index.add({ member: 'x', lon: 0, lat: 85.06 }), 'items[0].lat'],
        [() => index.add({ member: 'x', lon: -180.01, lat: 0 }), 'items[0].lon'],
        [() => index.add({ member: '', lon: 0, lat: 0 }), 'items[0].member'],
        [
          () => index.addMany([{ member: 'ok', lon: 1, lat: 1 }, null as unknown as { member: string; lon: number; lat: number }]),
          'items[1].member',
        ],
        [
          () =>
            index.addMany([
              { member: 'ok', lon: 1, lat: 1 },
              { member: 'bad', lon: Number.NaN, lat: 1 },
            ]),
          'items[1].lon',
        ],
        [() => index.addMany('ph-1' as unknown as []), 'items', /array/],
        [() => index.replaceAll(null as unknown as []), 'items', /array/],
        [() => index.remove('ok', ''), 'members[1]'],
        [() => index.nearby(here, null as unknown as { radius: number }), 'options', /must be an object/],
        [() => index.nearby(here, 'radius' as unknown as { radius: number }), 'options', /must be an object/],
        [() => index.nearby(here, {}), 'options', /exactly one of radius or box/],
        [() => index.nearby(here, { radius: 1, box: { width: 1, height: 1 } }), 'options', /exactly one of radius or box/],
        [() => index.nearby(here, { radius: 0 }), 'radius'],
        [() => index.nearby(here, { box: null as unknown as { width: number; height: number } }), 'box', /width, height/],
        [() => index.nearby(here, { box: 'big' as unknown as { width: number; height: number } }), 'box', /width, height/],
        [() => index.nearby(here, { box: { width: 0, height: 1 } }), 'box.width'],
        [() => index.nearby(here, { box: { width: 1, height: 0 } }), 'box.height'],
        [() => index.nearby(here, { radius: 1, unit: 'yd' as 'm' }), 'unit', /'m', 'km', 'mi' or 'ft'/],
        [() => index.nearby(here, { radius: 1, sort: 'up' as 'asc' }), 'sort', /'asc', 'desc' or 'none'/],
        [() => index.nearby(here, { radius: 1, count: 0 }), 'count'],
        [() => index.nearby(here, { radius: 1, any: true }), 'any', /needs count/],
        // A flag read from text ('false') would be true: refused, not guessed.
        [() => index.nearby(here, { radius: 1, count: 1, any: 'false' as never }), 'any', /must be a boolean, got "false"/],
        [() => index.nearby(here, { radius: 1, withDistance: 'false' as never }), 'withDistance', /must be a boolean/],
        [() => index.nearby(here, { radius: 1, withCoordinates: 1 as never }), 'withCoordinates', /must be a boolean, got 1/],
        [() => index.nearby(here, { radius: 1, withPayload: null as never }), 'withPayload', /must be a boolean, got null/],
        [() => index.nearby(null as unknown as { lon: number; lat: number }, { radius: 1 }), 'center', /lon, lat/],
        [() => index.nearby('ph-1' as unknown as { lon: number; lat: number }, { radius: 1 }), 'center', /lon, lat/],
        [() => index.nearby({ lon: 181, lat: 0 }, { radius: 1 }), 'center.lon'],
        [() => index.nearby({ lon: 0, lat: 86 }, { radius: 1 }), 'center.lat'],
        [() => index.nearby({ member: '' }, { radius: 1 }), 'center.member'],
        [() => index.distance('', 'b'), 'a'],
        [() => index.distance('a', ''), 'b'],
        [() => index.distance('a', 'b', 'yd' as 'm'), 'unit'],
        [() => index.position(''), 'member'],
      ] as [() => Promise<unknown>, string, RegExp?][]) {
        await expectInvalid(call, field, detail);
      }
    });
    expect(total).toBe(0);
    for (const [options, field, detail] of [
      [undefined, 'options', /object/],
      [null, 'options', /object/],
      ['pharmacies', 'options', /object/],
      [{ connection, name: '' }, 'name'],
      [{ connection, name: 'x', chunkSize: 0 }, 'chunkSize'],
      [{ connection, name: 'x', chunkSize: 1001 }, 'chunkSize', /must be at most 1000/],
      [{ connection, name: 'x', rebuildTtlMs: 0 }, 'rebuildTtlMs'],
    ] as [unknown, string, RegExp?][]) {
      await expectInvalid(() => new GeoIndex(options as ConstructorParameters<typeof GeoIndex>[0]), field, detail);
    }
    // The largest chunk is accepted: 1,000 members in one script call.
    const big = new GeoIndex<Pharmacy>({ connection, name: 'big-chunks', chunkSize: 1000 });
    const { result, byCommand } = await countCommands(connection, () => big.addMany(POINTS.slice(0, 1000)));
    expect(result).toBe(1000);
    expect(byCommand.evalsha).toBe(1);
  });

  it('returns only the parts asked for, sorts none in Redis order, and measures in every unit', async () => {
    const connection = await testConnection();
    const index = new GeoIndex<{ name: string }>({ connection, name: 'parts' });
    await index.addMany([
      { member: 'a', lon: 13.4, lat: 52.52, payload: { name: 'A' } },
      { member: 'b', lon: 13.41, lat: 52.52 },
    ]);
    const here = { lon: 13.4, lat: 52.52 };
    // No key at all for what was not asked, not even one holding undefined.
    expect(await index.nearby(here, { radius: 5, unit: 'km', withDistance: false, withPayload: false })).toStrictEqual([
      { member: 'a' },
      { member: 'b' },
    ]);
    expect(await index.nearby(here, { radius: 5, unit: 'km', withDistance: false })).toStrictEqual([
      { member: 'a', payload: { name: 'A' } },
      { member: 'b' },
    ]);
    const unsorted = await index.nearby(here, { radius: 5, unit: 'km', sort: 'none', withPayload: false });
    expect(unsorted.map((r) => r.member).sort()).toEqual(['a', 'b']);
    const metres = (await index.distance('a', 'b')) as number;
    expect(metres).toBeGreaterThan(600);
    expect(await index.distance('a', 'b', 'km')).toBeCloseTo(metres / 1000, 3);
    expect(await index.distance('a', 'b', 'mi')).toBeCloseTo(metres / 1609.34, 3);
    expect(await index.distance('a', 'b', 'ft')).toBeCloseTo(metres / 0.3048, 0);
    expect((await index.nearby(here, { radius: 1, unit: 'mi', withPayload: false })).map((r) => r.member)).toEqual(['a', 'b']);
    expect((await index.nearby(here, { radius: 1000, unit: 'ft', withPayload: false })).map((r) => r.member)).toEqual(['a']);
  });

  it('with any, count stops at the first matches found, which need not be the nearest', async () => {
    const { index } = await loadedIndex();
    const centers = pharmacies(12, 7).map(({ lon, lat }) => ({ lon, lat }));
    let differs = 0;
    for (const center of centers) {
      const options = { radius: 20, unit: 'km', count: 1, withPayload: false } as const;
      const [nearest] = await index.nearby(center, options);
      const [any] = await index.nearby(center, { ...options, any: true });
      expect(any!.distance).toBeLessThanOrEqual(20);
      expect(any!.distance).toBeGreaterThanOrEqual(nearest!.distance as number);
      if (any!.member !== nearest!.member) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('replaceAll loads into prefix:geo:{name}:rebuild:<id>:points and :payloads', async () => {
    const real = await testConnection();
    const seen: string[] = [];
    const ks = real.keys('geo');
    const stem = ks.stem('layout');
    // Real Redis throughout; the proxy only lists the temporary keys right before the swap.
    const connection = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'run') return Reflect.get(target, prop, receiver);
        return async (script: LuaScript, keys: string[], args: RedisArg[]) => {
          if (script.name === 'geo/swap') {
            for await (const found of real.scan(`${stem.replace(/[{}]/g, '\\$&')}:*`)) seen.push(...found);
          }
          return target.run(script, keys, args);
        };
      },
    });
    const index = new GeoIndex<Pharmacy>({ connection, name: 'layout' });
    expect(await index.replaceAll(POINTS.slice(0, 20))).toBe(20);
    expect(seen).toHaveLength(2);
    const id = seen[0]?.slice(`${stem}:rebuild:`.length).split(':')[0];
    expect(id).toMatch(/^[^:]+$/);
    expect(seen.sort()).toEqual([`${stem}:rebuild:${id}:payloads`, `${stem}:rebuild:${id}:points`]);
  });

  it('traces every operation on the geo channel, with the index as attribute', async () => {
    const connection = await testConnection();
    const index = new GeoIndex({ connection, name: 'traced' });
    const seen = await tracedOperations('geo', async () => {
      await index.add({ member: 'a', lon: 1, lat: 1 });
      await index.addMany([{ member: 'b', lon: 1, lat: 1 }]);
      await index.remove('b');
      await index.replaceAll([{ member: 'a', lon: 1, lat: 1 }]);
      await index.nearby({ lon: 1, lat: 1 }, { radius: 1 });
      await index.distance('a', 'a');
      await index.position('a');
      await index.size();
    });
    // add stores through addMany: both are traced.
    expect(seen.map((c) => c.operation)).toEqual([
      'add',
      'addMany',
      'addMany',
      'remove',
      'replaceAll',
      'nearby',
      'distance',
      'position',
      'size',
    ]);
    for (const c of seen) expect(c).toMatchObject({ module: 'geo', attributes: { index: 'traced' } });
  });

  it.runIf(target === 'standalone')('needs noeviction: a server that may evict reports the geo index at risk', async () => {
    expect(await modulesAtRiskAfter((connection) => new GeoIndex({ connection, name: 'pharmacies' }))).toEqual(['geo']);
  });

  // The private server is standalone whatever the target: run once per driver.
  it.runIf(target === 'standalone')('fails fast with a typed error when Redis is frozen or down', async () => {
    await expectTypedOutage((connection) => new GeoIndex({ connection, name: 'outage' }).nearby({ lon: 1, lat: 1 }, { radius: 1 }));
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { SerializationError, type Serializer, ValidationError } from '../../src/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';
import { taggedJson } from './fixtures/tagged-json.js';

/** The code of a file or a fenced block without its import lines and leading comments. */
function body(code: string): string {
  return code
    .split('\n')
    .filter((line) => !line.startsWith('import '))
    .join('\n')
    .replace(/^(\/\/[^\n]*\n)+/, '')
    .trim();
}

const appointment = () => ({
  at: new Date('2025-01-31T09:00:00.000Z'),
  fee: 12_345_678_901_234_567_890n,
  slots: new Map<string, Date>([['room-1', new Date('2025-01-31T09:30:00.000Z')]]),
  seen: new Set(['p:1', 'p:2']),
  nested: [{ when: new Date(0) }, null, 'text', 42],
  // Data of yours that looks like a tag is read back as itself.
  lookalike: { $t: 'Date', v: 'not a date', more: { $t: 'BigInt' } },
});

describe(`Cache serializer on ${target} via ${driver}`, () => {
  it('a per-cache serializer stores what JSON cannot round-trip (Dates, BigInt, Maps, Sets), on every read path', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, serializer: taggedJson });
    expect(cache.serializer).toBe(taggedJson);
    const value = appointment();
    expect(await cache.wrap('appointment:1', async () => value)).toBe(value);
    await cache.settled(); // the miss's store, which the wrap did not wait for
    // From Redis: a second cache instance, so nothing is served from memory.
    const reader = new Cache({ connection, ttlMs: 60_000, serializer: taggedJson });
    const read = await reader.wrap<ReturnType<typeof appointment> | null>('appointment:1', async () => null);
    expect(read).toEqual(value);
    expect(read?.at).toBeInstanceOf(Date);
    expect(typeof read?.fee).toBe('bigint');
    await cache.set('appointment:2', value, { tags: ['appointments'] });
    await cache.mset([{ key: 'appointment:3', value }]);
    expect(await reader.get('appointment:2')).toEqual(value);
    expect(await reader.mget(['appointment:2', 'appointment:3'])).toEqual([value, value]);
    // The connection's serializer (JSON) is untouched: a JSON cache on the same connection cannot store it.
    const json = new Cache({ connection, ttlMs: 60_000 });
    expect(json.serializer).toBe(connection.serializer);
    await expect(json.set('appointment:4', value)).rejects.toBeInstanceOf(SerializationError);
  });

  it('a hit with a per-cache serializer is still one GET', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, serializer: taggedJson });
    await cache.set('k', { at: new Date(0) });
    const { result, byCommand } = await countCommands(connection, () => cache.get('k'));
    expect(result).toEqual({ at: new Date(0) });
    expect(byCommand).toEqual({ get: 1 });
  });

  it('the recipe serializer: what it cannot represent is a SerializationError; it drops __proto__', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => taggedJson.serialize(cycle)).toThrow(SerializationError);
    expect(() => taggedJson.serialize(new Date(Number.NaN))).toThrow(SerializationError);
    expect(() => taggedJson.serialize(() => 1)).toThrow(SerializationError);
    expect(() => taggedJson.deserialize('{')).toThrow(SerializationError);
    const parsed = taggedJson.deserialize<Record<string, unknown>>(
      '{"__proto__":{"polluted":1},"a":{"$t":"Object","v":[["__proto__",{"x":1}],["b",2]]}}',
    );
    expect(Object.hasOwn(parsed, '__proto__')).toBe(false);
    expect(parsed.a).toEqual({ b: 2 });
    expect(Object.hasOwn(parsed.a as object, '__proto__')).toBe(false);
    expect(taggedJson.deserialize(taggedJson.serialize(appointment()))).toEqual(appointment());
  });

  it('the guide shows exactly the serializer tested here', () => {
    const guide = readFileSync(new URL('../../docs/cache.md', import.meta.url), 'utf8');
    const section = guide.slice(guide.indexOf('### Values JSON cannot round-trip'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const fixture = readFileSync(new URL('./fixtures/tagged-json.ts', import.meta.url), 'utf8');
    expect(body(block)).toBe(body(fixture));
  });

  it('a bad serializer option is a ValidationError, nothing sent', async () => {
    const connection = await testConnection();
    const { total } = await countCommands(connection, async () => {
      for (const serializer of [null, 'json', {}, { serialize: () => '' }, { serialize: 1, deserialize: () => 1 }]) {
        await expectInvalid(() => new Cache({ connection, ttlMs: 1000, serializer: serializer as unknown as Serializer }), 'serializer');
      }
    });
    expect(total).toBe(0);
    expect(() => new Cache({ connection, ttlMs: 1000, serializer: {} as Serializer })).toThrow(ValidationError);
  });
});

import { describe, expect, it } from 'vitest';
import { RedisConnection, type RedisConnectionOptions } from '../../src/index.js';
import { toConnection } from '../../src/kit/index.js';
import { driver, rawClient, target } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';

describe(`RedisConnection options on ${target} via ${driver}`, () => {
  it('refuses a prefix that is not a string, naming the field', async () => {
    const client = await rawClient();
    await expectInvalid(() => RedisConnection.from(client, { prefix: 42 as unknown as string }), 'prefix', /must be a string/);
  });

  it('refuses a negative commandTimeoutMs, naming the field', async () => {
    const client = await rawClient();
    await expectInvalid(
      () => RedisConnection.from(client, { commandTimeoutMs: -1 }),
      'commandTimeoutMs',
      /must be a finite number >= 0, got -1/,
    );
  });

  it('refuses an unknown evictionCheck, naming the field, the choices and the value given', async () => {
    const client = await rawClient();
    const options = { evictionCheck: 'loose' } as unknown as RedisConnectionOptions;
    await expectInvalid(
      () => RedisConnection.from(client, options),
      'evictionCheck',
      /^evictionCheck: must be 'warn', 'strict' or 'off', got loose$/,
    );
    for (const evictionCheck of ['warn', 'strict', 'off'] as const) {
      expect(RedisConnection.from(client, { evictionCheck })).toBeInstanceOf(RedisConnection);
    }
  });

  it('refuses a coalesceScripts that is not a boolean, naming the field and the value', async () => {
    const client = await rawClient();
    await expectInvalid(
      () => RedisConnection.from(client, { coalesceScripts: 'false' as unknown as boolean }),
      'coalesceScripts',
      /^coalesceScripts: must be a boolean, got "false"$/,
    );
  });

  it('refuses a serializer without serialize and deserialize functions, such as JSON itself', async () => {
    const client = await rawClient();
    for (const serializer of [JSON, null, 'json', Object.assign(() => '', { serialize: String, deserialize: String })]) {
      await expectInvalid(
        () => RedisConnection.from(client, { serializer: serializer as never }),
        'serializer',
        /^serializer: must be an object with serialize and deserialize functions$/,
      );
    }
    const custom = { serialize: (v: unknown) => String(v), deserialize: <T>(raw: string) => raw as T };
    expect(RedisConnection.from(client, { serializer: custom }).serializer).toBe(custom);
  });

  it('toConnection refuses a missing connection, naming the field', async () => {
    await expectInvalid(() => toConnection(undefined as never), 'connection', /is required/);
    await expectInvalid(() => toConnection(null as never), 'connection', /is required/);
  });

  it('connect() needs a url, cluster nodes or sentinels, and a primary name with sentinels', async () => {
    await expectInvalid(() => RedisConnection.connect({}), 'url', /a url, clusterNodes or sentinels is required/);
    await expectInvalid(
      () => RedisConnection.connect({ clusterNodes: [], sentinels: [] }),
      'url',
      /a url, clusterNodes or sentinels is required/,
    );
    await expectInvalid(
      () => RedisConnection.connect({ sentinels: [{ host: '127.0.0.1', port: 1 }] }),
      'name',
      /the monitored primary name is required with sentinels/,
    );
  });
});

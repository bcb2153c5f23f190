// The cache's own errors as callers meet them: their code (also static, for a switch), message
// and the fields they carry.
import { describe, expect, it } from 'vitest';
import { Cache, CacheInvalidationError, CacheLoadTimeoutError, writeThrough } from '../../src/cache/index.js';
import { RedisPatternsError } from '../../src/index.js';
import { privateConnection } from '../harness/private-server.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { privateServersOfSuite, sleep } from './helpers.js';

describe(`Cache errors on ${target} via ${driver}`, () => {
  const { startServer } = privateServersOfSuite();

  it('a loader past loadTimeoutMs: CacheLoadTimeoutError, code CALL_TIMEOUT, with the limit', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000, loadTimeoutMs: 50 });
    const error = await cache.wrap('slow', () => sleep(500)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheLoadTimeoutError);
    expect(error).toBeInstanceOf(RedisPatternsError);
    const timeout = error as CacheLoadTimeoutError;
    expect(CacheLoadTimeoutError.code).toBe('CALL_TIMEOUT');
    expect(timeout.code).toBe('CALL_TIMEOUT');
    expect(timeout.name).toBe('CacheLoadTimeoutError');
    expect(timeout.message).toBe("the cache's loader did not settle within 50 ms");
    expect(timeout.timeoutMs).toBe(50);
  });

  it('a write whose invalidation failed: CacheInvalidationError, code CACHE_INVALIDATION, with the result and the cause', async () => {
    const server = await startServer();
    const { connection, close } = await privateConnection(server);
    const cache = new Cache({ connection, ttlMs: 60_000, timeoutMs: 200 });
    try {
      await server.stop();
      const error = await writeThrough(cache, async () => 'written', { keys: ['k'] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CacheInvalidationError);
      const failed = error as CacheInvalidationError;
      expect(CacheInvalidationError.code).toBe('CACHE_INVALIDATION');
      expect(failed.code).toBe('CACHE_INVALIDATION');
      expect(failed.name).toBe('CacheInvalidationError');
      expect(failed.message).toBe('the write succeeded but the cache could not be invalidated');
      expect(failed.result).toBe('written');
      expect(failed.cause).toBeInstanceOf(RedisPatternsError);
    } finally {
      await cache.close();
      close();
    }
  });
});

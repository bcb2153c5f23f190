import { ValidationError } from '../errors.js';
import { IoredisClient } from './ioredis-adapter.js';
import { IoredisMockClient } from './ioredis-mock-adapter.js';
import { NodeRedisClient } from './node-redis-adapter.js';
import { isNodeRedisSentinel, type NodeRedisSentinel, NodeRedisSentinelClient } from './node-redis-sentinel-adapter.js';
import type { RedisClient } from './types.js';

/** Anything a {@link RedisClient} adapter can be built from. */
export type SupportedClient = RedisClient | object;

/**
 * Picks the adapter for a user's client: an ioredis `Redis`/`Cluster` (has `call`; a `Redis`
 * with `sentinels` options is one too), an ioredis-mock client (ioredis' shape without
 * `call`), a node-redis `RedisSentinel` (has `getMasterNode`), a node-redis client/cluster (has
 * `sendCommand`), or an adapter already.
 */
export function adaptClient(client: SupportedClient): RedisClient {
  const c = client as Record<string, unknown>;
  if (c && typeof c.send === 'function' && typeof c.pipeline === 'function' && typeof c.primaries === 'function') {
    return client as RedisClient;
  }
  if (c && typeof c.pipeline === 'function' && typeof c.call === 'function') {
    return new IoredisClient(client as ConstructorParameters<typeof IoredisClient>[0]);
  }
  if (c && typeof c.pipeline === 'function' && typeof c.evalsha === 'function') {
    return new IoredisMockClient(client as ConstructorParameters<typeof IoredisMockClient>[0]);
  }
  // Before the plain node-redis check: a sentinel has `sendCommand` too, with another signature.
  if (c && isNodeRedisSentinel(c)) return new NodeRedisSentinelClient(client as NodeRedisSentinel);
  if (c && typeof c.sendCommand === 'function') return new NodeRedisClient(client);
  throw new ValidationError('client', 'expected an ioredis Redis/Cluster or a node-redis client/cluster/sentinel');
}

import type { Cluster, Redis } from 'ioredis';
import { IoredisClient } from './ioredis-adapter.js';
import type { RedisArg, RedisReply } from './types.js';

/**
 * The ioredis adapter for ioredis-mock, the in-memory fake many apps unit-test with: it has
 * ioredis' shape but no generic `call`, only one method per command. Kept apart so the
 * production adapter has no branch for it. Behaviour is proven on real Redis only.
 */
export class IoredisMockClient extends IoredisClient {
  override send(args: readonly RedisArg[], _routeKey?: string): Promise<RedisReply> {
    const [command, ...rest] = args;
    const method = (this.client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[String(command).toLowerCase()];
    if (!method) return Promise.reject(new Error(`ERR unknown command '${String(command)}'`));
    return method.apply(this.client, rest);
  }

  protected override pipelineCommands(commands: readonly (readonly RedisArg[])[]): unknown[][] {
    return commands.map((c) => [String(c[0]).toLowerCase(), ...c.slice(1)]);
  }

  protected override wrap(client: Redis | Cluster): IoredisClient {
    return new IoredisMockClient(client);
  }
}

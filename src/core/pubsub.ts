import type { RedisArg, RedisClient } from './client/types.js';
import { RedisCommandError } from './errors.js';
import { toTypedError } from './reply-errors.js';

/**
 * Whether pub/sub over `client` is sharded (`SPUBLISH` / `SSUBSCRIBE`): on a cluster whose
 * servers have it (Redis 7.0+, Valkey), so that a message travels only within the shard owning
 * its channel's slot instead of to every node. Standalone servers keep `PUBLISH` (one node: no
 * difference). One `COMMAND INFO SPUBLISH` on a cluster; an error reply (the command refused
 * or renamed away) counts as no, a connection failure rejects.
 */
export async function detectShardedPubSub(client: RedisClient): Promise<boolean> {
  if (!client.isCluster) return false;
  try {
    const reply = await client.send(['COMMAND', 'INFO', 'SPUBLISH']);
    return Array.isArray(reply) && reply[0] != null;
  } catch (err) {
    if (toTypedError(err) instanceof RedisCommandError) return false;
    throw err;
  }
}

/** The command that publishes `message` on `channel`: `SPUBLISH` when sharded (route it by `channel`). */
export function publishCommand(sharded: boolean, channel: string, message: string): RedisArg[] {
  return [sharded ? 'SPUBLISH' : 'PUBLISH', channel, message];
}

/** The argument with which a script chooses its publish command (`core/lua/publish.lua`). */
export function publishFlag(sharded: boolean): '1' | '0' {
  return sharded ? '1' : '0';
}

// Writes that must survive the failover of their primary: the command and a `WAIT` for
// replicas in one round trip, and the validation of what a caller asks for.

import type { PipelineOptions, RedisArg, RedisClient, RedisReply } from './client/types.js';
import type { CallOptions } from './connection.js';
import { ReplicationError, ValidationError } from './errors.js';
import { assertInRange, assertPositiveInteger } from './validation.js';

/** Most replicas a durability can ask for. */
export const MAX_REPLICAS = 100;
/** Longest `waitMs` of a durability: a minute. */
export const MAX_WAIT_MS = 60_000;

/** How many replicas must confirm a write, and how long to wait for them (see `CallOptions.durability`). */
export interface Durability {
  /** Replicas that must have the write: an integer from 1 to {@link MAX_REPLICAS} (100). */
  readonly replicas: number;
  /** Longest wait for them, in ms: an integer from 1 to {@link MAX_WAIT_MS} (60,000; `WAIT 0` would wait forever). */
  readonly waitMs: number;
}

/**
 * `command` and a `WAIT` for `durability.replicas` in one round trip on the node of `route`:
 * resolves the command's reply once enough replicas have it, rejects with `ReplicationError`
 * when fewer confirmed it within `waitMs` (the command ran on the primary all the same).
 */
export async function durable(
  client: RedisClient,
  command: readonly RedisArg[],
  route: string | undefined,
  durability: Durability,
): Promise<RedisReply> {
  const [reply, acknowledged] = await withWait(client, [command], { routeKey: route }, durability);
  confirmed(acknowledged, durability);
  return reply;
}

/** `commands` (one slot) and a `WAIT` as one plain pipeline on the node of `options.routeKey`. */
async function withWait(
  client: RedisClient,
  commands: readonly (readonly RedisArg[])[],
  options: PipelineOptions,
  durability: Durability,
): Promise<RedisReply[]> {
  const all = [...commands, waitCommand(durability)];
  if (client.isCluster && client.driver === 'node-redis' && options.routeKey !== undefined) {
    return separateWait(client, commands, options.routeKey, durability);
  }
  try {
    return await client.pipeline(all, options);
  } catch (err) {
    // A cluster node that no longer serves the slot (its replica took over) refused the
    // commands with MOVED and ran only the keyless WAIT, and ioredis does not follow a
    // redirection that not every command of a pipeline got. Nothing was written: let the
    // client learn the slot's node from a read, then send them again.
    const route = options.routeKey;
    if (!client.isCluster || route === undefined || !isMoved(err)) throw err;
    await client.send(['EXISTS', route], route);
    return client.pipeline(all, options);
  }
}

/**
 * node-redis sends a cluster pipeline's commands one by one (in one write): a command refused
 * with MOVED follows it to the slot's new primary by itself, but the `WAIT` beside it may reach
 * the old one, now a replica, which refuses it. The commands ran: ask the new primary.
 */
async function separateWait(
  client: RedisClient,
  commands: readonly (readonly RedisArg[])[],
  route: string,
  durability: Durability,
): Promise<RedisReply[]> {
  const sent = client.pipeline(commands, { routeKey: route });
  const wait = client.send(waitCommand(durability), route);
  const [replies, acknowledged] = await Promise.allSettled([sent, wait]);
  if (replies.status === 'rejected') throw replies.reason;
  if (acknowledged.status === 'fulfilled') return [...replies.value, acknowledged.value];
  if (!isWaitOnReplica(acknowledged.reason)) throw acknowledged.reason;
  return [...replies.value, await client.send(waitCommand(durability), route)];
}

/**
 * A pipeline followed by a `WAIT`: in the same round trip when plain; after `EXEC` when
 * `atomic`, since a `WAIT` inside `MULTI` would not wait.
 */
export async function durablePipeline(
  client: RedisClient,
  commands: readonly (readonly RedisArg[])[],
  options: PipelineOptions,
  durability: Durability,
): Promise<RedisReply[]> {
  const route = options.routeKey ?? (commands[0]?.[1] as string | undefined);
  if (options.atomic) {
    const replies = await client.pipeline(commands, options);
    // The WAIT must run on the connection that ran EXEC. On a cluster ioredis sends a keyless
    // command to any node: a keyed read beside it routes it to the write's node.
    const acknowledged =
      client.isCluster && route !== undefined
        ? (await client.pipeline([['EXISTS', route], waitCommand(durability)], { routeKey: route }))[1]
        : await client.send(waitCommand(durability), route);
    confirmed(acknowledged, durability);
    return replies;
  }
  const replies = await withWait(client, commands, { ...options, routeKey: route }, durability);
  confirmed(replies.pop(), durability);
  return replies;
}

/** A durability the server could not honour, as the error to reject with before anything is sent. */
export function durabilityError(durability: Durability): ValidationError | undefined {
  try {
    if (typeof durability !== 'object' || durability === null) throw new ValidationError('durability', 'must be { replicas, waitMs }');
    assertPositiveInteger('durability.replicas', durability.replicas);
    assertInRange('durability.replicas', durability.replicas, 1, MAX_REPLICAS);
    assertPositiveInteger('durability.waitMs', durability.waitMs);
    assertInRange('durability.waitMs', durability.waitMs, 1, MAX_WAIT_MS);
    return undefined;
  } catch (err) {
    return err as ValidationError;
  }
}

function isMoved(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('MOVED ');
}

function isWaitOnReplica(err: unknown): boolean {
  return err instanceof Error && /WAIT cannot be used with replica/i.test(err.message);
}

function waitCommand(durability: Durability): RedisArg[] {
  return ['WAIT', durability.replicas, durability.waitMs];
}

function confirmed(acknowledged: RedisReply, durability: Durability): void {
  if (Number(acknowledged) < durability.replicas) throw new ReplicationError(Number(acknowledged), durability.replicas);
}

/** The call options of a module's durable writes, validated once (at construction): `undefined` without durability. */
export function durableCalls(durability: Durability | undefined): CallOptions | undefined {
  if (durability === undefined) return undefined;
  const invalid = durabilityError(durability);
  if (invalid) throw invalid;
  return { durability };
}

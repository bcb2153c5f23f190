import { EventEmitter } from 'node:events';
import { type CreateClientOptions, createClient } from './client/create.js';
import { adaptClient, type SupportedClient } from './client/detect.js';
import type { PipelineOptions, RedisArg, RedisClient, RedisReply, Subscriber } from './client/types.js';
import { type Durability, durabilityError, durable, durablePipeline } from './durability.js';
import { CommandTimeoutError, RedisUnavailableError, ValidationError } from './errors.js';
import { EvictionPolicyError, type EvictionReport, evictionChannel, evictionReport, readMemoryPolicies } from './eviction.js';
import { KeySpace } from './keys.js';
import { detectShardedPubSub, publishCommand } from './pubsub.js';
import { toTypedError } from './reply-errors.js';
import { definedScripts, type LuaScript } from './script.js';
import { ScriptRunner } from './script-runner.js';
import { assertSerializer, jsonSerializer, type Serializer } from './serializer.js';
import { commandChannel, observeCommand } from './telemetry.js';
import { timeLimit, within } from './time-limit.js';
import { assertNonNegative, booleanOption } from './validation.js';

const BRAND = Symbol.for('redis-patterns.connection');

/** Options shared by every way of making a {@link RedisConnection}. */
export interface RedisConnectionOptions {
  /** Namespace put in front of every key (`prefix:module:{tag}:...`). Default `''` (none). */
  prefix?: string;
  /** How values are stored. Default {@link jsonSerializer}. */
  serializer?: Serializer;
  /**
   * Milliseconds to wait for any reply before rejecting with
   * {@link CommandTimeoutError}; `0` waits forever. Default `2000`.
   */
  commandTimeoutMs?: number;
  /**
   * Lets concurrent calls of a coalesced script (see `ScriptOptions.coalesce`) made in the same
   * tick share one `EVALSHA`, up to 16 per command (on a cluster: calls of one hash tag). Each
   * call still runs as its own atomic step and gets its own reply and timeout. Redis pays its
   * per-command cost (and the script's `TIME`) once per `EVALSHA` instead of once per call,
   * which is most of what a short script costs under load. Set `false` to send one `EVALSHA`
   * per call. Default `true`.
   */
  coalesceScripts?: boolean;
  /**
   * What to do when a primary may evict keys (a `maxmemory` with a `maxmemory-policy` other
   * than `noeviction`) while a module that needs `noeviction` (every module but the cache) uses
   * this connection. The policy is read with `INFO memory` on every primary when the first such
   * module starts and again after the client reconnects. `'warn'`: emit `evictionRisk` once per
   * finding and go on. `'strict'`: also refuse those modules' commands with
   * `EvictionPolicyError` (they wait for the first check). `'off'`: do not check. Default
   * `'warn'`.
   */
  evictionCheck?: 'warn' | 'strict' | 'off';
}

/** Events of a {@link RedisConnection} (it is an `EventEmitter`). */
export interface RedisConnectionEvents {
  /**
   * A primary may evict keys while modules that need `noeviction` use this connection: their
   * data (jobs, locks, sessions, ...) can disappear without an error. Emitted once per finding
   * (again only if a later check, after a reconnect, finds something else).
   */
  evictionRisk: [report: EvictionReport];
}

/** Options of {@link RedisConnection.keys}. */
export interface KeySpaceOptions {
  /**
   * The module's data must not be evicted (everything but a cache): the connection checks the
   * servers' eviction policy for it (see {@link RedisConnectionOptions.evictionCheck}). Default `false`.
   */
  durable?: boolean;
}

/** Per-call options of {@link RedisConnection.run} and {@link RedisConnection.send}. */
export interface CallOptions {
  /** Milliseconds to wait for the reply before rejecting with `CommandTimeoutError`. Default: the connection's `commandTimeoutMs`. */
  timeoutMs?: number;
  /**
   * Waits until the write reached replicas (`WAIT`, sent in the same round trip, on the same
   * node) and rejects with `ReplicationError` when fewer than `replicas` confirmed it within
   * `waitMs`: a write that survives the failover of its primary. Default: none.
   */
  durability?: Durability;
}

/**
 * The one thing every pattern needs: a Redis client (ioredis or node-redis,
 * standalone or cluster) behind a narrow interface, the key prefix, the
 * serializer and the script runner.
 *
 * @example
 * const connection = RedisConnection.from(new Redis(), { prefix: 'clinic' });
 * const lock = new FencedLock({ connection });
 */
export class RedisConnection extends EventEmitter<RedisConnectionEvents> {
  /** The adapter every module talks to. */
  readonly client: RedisClient;
  /** The key namespace. */
  readonly prefix: string;
  /** The value serializer. */
  readonly serializer: Serializer;
  /** Reply timeout in ms (`0` = none). */
  readonly commandTimeoutMs: number;
  private readonly owned: boolean;
  private readonly scripts: ScriptRunner;
  private readonly coalesceScripts: boolean;
  private subscriberPromise: Promise<Subscriber> | undefined;
  private closed = false;
  private sharded: Promise<boolean> | undefined;
  private shardedKnown = false;
  private readonly keySpaces = new Map<string, KeySpace>();
  private readonly evictionCheck: 'warn' | 'strict' | 'off';
  /** Modules that need noeviction, with the start of their keys (`prefix:module:`). */
  private readonly durable = new Map<string, string>();
  private eviction: Promise<EvictionReport> | undefined;
  private evictionFinding = '';
  private refused: EvictionReport | undefined;
  private evictionClear = false;
  private stopWatching: (() => void) | undefined;

  private constructor(client: RedisClient, owned: boolean, options: RedisConnectionOptions) {
    super();
    const timeout = options.commandTimeoutMs ?? 2000;
    assertNonNegative('commandTimeoutMs', timeout);
    if (options.prefix !== undefined && typeof options.prefix !== 'string') {
      throw new ValidationError('prefix', 'must be a string');
    }
    if (options.serializer !== undefined) assertSerializer('serializer', options.serializer);
    // A brand rather than `instanceof`, so a CJS copy of core in one subpath bundle still recognizes another's connection.
    Object.defineProperty(this, BRAND, { value: true });
    this.client = client;
    this.owned = owned;
    this.prefix = options.prefix ?? '';
    this.serializer = options.serializer ?? jsonSerializer;
    this.commandTimeoutMs = timeout;
    this.coalesceScripts = booleanOption('coalesceScripts', options.coalesceScripts, true);
    const check = options.evictionCheck ?? 'warn';
    if (check !== 'warn' && check !== 'strict' && check !== 'off') {
      throw new ValidationError('evictionCheck', `must be 'warn', 'strict' or 'off', got ${String(check)}`);
    }
    this.evictionCheck = check;
    this.scripts = new ScriptRunner(client, this.coalesceScripts);
    new KeySpace(this.prefix, 'core'); // validates the prefix now rather than on first use
  }

  /**
   * Wraps a client you created and keep ownership of: an ioredis `Redis` (also one
   * made with `sentinels`) or `Cluster`, or a connected node-redis client, cluster or
   * sentinel (`createSentinel`). {@link close} leaves it open.
   */
  static from(client: SupportedClient, options: RedisConnectionOptions = {}): RedisConnection {
    return new RedisConnection(adaptClient(client), false, options);
  }

  /**
   * Creates (and later closes) its own client from a URL, cluster seed nodes, or
   * Sentinels and the monitored primary's name (`{ sentinels, name }`).
   */
  static async connect(target: string | CreateClientOptions, options: RedisConnectionOptions = {}): Promise<RedisConnection> {
    const client = await createClient(typeof target === 'string' ? { url: target } : target);
    return new RedisConnection(client, true, options);
  }

  /** Key builder of one module under this connection's prefix; a `durable` module's data must not be evicted. */
  keys(module: string, options: KeySpaceOptions = {}): KeySpace {
    let ks = this.keySpaces.get(module);
    if (!ks) {
      ks = new KeySpace(this.prefix, module);
      this.keySpaces.set(module, ks);
    }
    if (options.durable && !this.durable.has(module)) {
      this.durable.set(module, ks.base);
      if (this.evictionCheck !== 'off') {
        // In the background: a module's constructor cannot wait, and a failed check is retried later.
        this.checkEviction().catch(() => {});
        // A server the client reconnects to may be another one (a failover) with another policy.
        this.stopWatching ??= this.client.onReconnect?.(() => {
          this.checkEviction().catch(() => {});
        });
      }
    }
    return ks;
  }

  // Strict mode: a durable module's command waits for the eviction check and is refused when a
  // primary may evict; everything else goes straight through (no promise at all).
  private gate(key: string | undefined): Promise<void> | undefined {
    if (key === undefined || this.durable.size === 0 || this.evictionClear) return undefined;
    let durable = false;
    for (const base of this.durable.values()) if (key.startsWith(base)) durable = true;
    if (!durable) return undefined;
    if (this.refused) return Promise.reject(new EvictionPolicyError(this.refused));
    return (this.eviction ?? this.checkEviction()).then((report) => {
      if (report.evicting) throw new EvictionPolicyError(report);
    });
  }

  /**
   * Reads every primary's eviction policy now and reports what it finds (see
   * {@link RedisConnectionOptions.evictionCheck}): a module that needs `noeviction` on a server
   * that may evict its keys emits `evictionRisk` and, with `'strict'`, has its commands refused.
   */
  checkEviction(): Promise<EvictionReport> {
    const check = this.client.primaries().then(async (nodes) => {
      const report = evictionReport(await readMemoryPolicies(nodes, this.commandTimeoutMs), this.durable.keys());
      // Stryker disable next-line LogicalOperator: equivalent, only a strict connection's gate reads `refused`, and not after a check found no eviction (`evictionClear`)
      this.refused = report.evicting && this.evictionCheck === 'strict' ? report : undefined;
      this.evictionClear = !report.evicting;
      // Stryker disable next-line StringLiteral: equivalent, the finding of a server that evicts nothing is only compared, and a change to it emits nothing
      const finding = report.evicting ? JSON.stringify(report) : '';
      if (finding !== this.evictionFinding) {
        this.evictionFinding = finding;
        if (report.evicting) {
          this.emit('evictionRisk', report);
          if (evictionChannel.hasSubscribers) evictionChannel.publish(report);
        }
      }
      return report;
    });
    this.eviction = check;
    // A failed check (Redis unreachable) is not cached as a finding: strict mode waits for the next one.
    check.catch(() => {
      if (this.eviction === check) this.eviction = undefined;
    });
    return check;
  }

  /**
   * Runs a script with one `EVALSHA`; if the server has lost it (restart,
   * failover, `SCRIPT FLUSH`), sends the source with `EVAL` to the same node.
   * Calls of a coalesced script (see `ScriptOptions.coalesce`) may share one `EVALSHA`
   * with concurrent calls (see {@link RedisConnectionOptions.coalesceScripts}); each still
   * gets its own reply. Resolves the script's result type (its `parseReply`); its `RP_`
   * status replies reject with its typed errors, everything else with core's.
   */
  run<A extends readonly RedisArg[], R>(script: LuaScript<A, R>, keys: readonly string[], args: A, options?: CallOptions): Promise<R> {
    const n = keys.length;
    if (script.keys === 'variadic' ? n === 0 : n !== script.keys) {
      return Promise.reject(new Error(`script ${script.name} takes ${script.keys} keys, got ${n}`));
    }
    const ms = options?.timeoutMs ?? this.commandTimeoutMs;
    const durability = options?.durability;
    const invalid = durability && durabilityError(durability);
    if (invalid) return Promise.reject(invalid);
    const closed = this.refusal();
    if (closed) return closed;
    const gate = this.evictionCheck === 'strict' ? this.gate(keys[0]) : undefined;
    if (gate) return gate.then(() => this.scripts.run(script, keys, args, ms, durability));
    return this.scripts.run(script, keys, args, ms, durability);
  }

  /** Sends one command; `routeKey` (a key of the command) selects the cluster node. Errors are typed. */
  send(args: readonly RedisArg[], routeKey?: string, options?: CallOptions): Promise<RedisReply> {
    const ms = options?.timeoutMs ?? this.commandTimeoutMs;
    const closed = this.refusal();
    if (closed) return closed;
    const gate = this.evictionCheck === 'strict' ? this.gate(routeKey) : undefined;
    if (gate) return gate.then(() => this.send(args, routeKey, options));
    const durability = options?.durability;
    const invalid = durability && durabilityError(durability);
    if (invalid) return Promise.reject(invalid);
    const sent = durability ? durable(this.client, args, routeKey, durability) : this.client.send(args, routeKey);
    const reply = within(sent, ms, args[0] as string);
    return commandChannel.hasSubscribers ? observeCommand(reply, 'command', String(args[0]), 1) : reply;
  }

  /**
   * Sends several commands in one round trip, as a plain pipeline or (`atomic`) as
   * `MULTI`/`EXEC`. On a cluster every key must be in the slot of `routeKey`. Rejects with the
   * first error reply, typed. With `durability`, a `WAIT` follows in the same round trip
   * (after `EXEC` when `atomic`), and its reply is not among the results.
   */
  pipeline(commands: readonly (readonly RedisArg[])[], options: PipelineOptions & CallOptions = {}): Promise<RedisReply[]> {
    const ms = options.timeoutMs ?? this.commandTimeoutMs;
    const closed = this.refusal();
    if (closed) return closed;
    const gate = this.evictionCheck === 'strict' ? this.gate(options.routeKey ?? String(commands[0]?.[1])) : undefined;
    // Stryker disable next-line OptionalChaining: equivalent, without a routeKey only a pipeline whose first command names a durable key is held here, so commands[0] exists
    if (gate) return gate.then(() => this.pipeline(commands, { ...options, routeKey: options.routeKey ?? String(commands[0]?.[1]) }));
    const what = options.atomic ? 'MULTI' : 'pipeline';
    const durability = options.durability;
    const invalid = durability && durabilityError(durability);
    if (invalid) return Promise.reject(invalid);
    const sent = durability ? durablePipeline(this.client, commands, options, durability) : this.client.pipeline(commands, options);
    const reply = within(sent, ms, `a ${what}`);
    return commandChannel.hasSubscribers ? observeCommand(reply, 'pipeline', what, commands.length) : reply;
  }

  /** Loads every defined script (or the given ones) on every primary, for callers that use them inside `MULTI`. */
  async preload(scripts: readonly LuaScript[] = definedScripts()): Promise<void> {
    await this.refusal();
    const nodes = await this.client.primaries();
    await Promise.all(
      nodes.flatMap((node) => scripts.map((s) => within(node.send(['SCRIPT', 'LOAD', s.source]), this.commandTimeoutMs, 'SCRIPT LOAD'))),
    );
  }

  /**
   * Whether pub/sub on this connection is sharded: `true` on a cluster whose servers have
   * `SPUBLISH` / `SSUBSCRIBE` (Redis 7.0+, Valkey), where a message then stays within the shard
   * owning its channel's slot instead of crossing the cluster bus to every node; `false`
   * standalone (no difference there) and on older clusters. Decided once per connection, with
   * one `COMMAND INFO` on a cluster (none standalone); a check that fails (Redis unreachable)
   * is made again by the next call. `timeoutMs` bounds this call's wait (default
   * `commandTimeoutMs`). {@link publish} and {@link subscriber} follow it, and so do the
   * library's scripts that publish (a script publishes on a channel with its keys' hash tag).
   */
  shardedPubSub(options?: CallOptions): Promise<boolean> {
    let check = this.sharded;
    if (!check) {
      const started = within(detectShardedPubSub(this.client), this.commandTimeoutMs, 'COMMAND INFO');
      check = started;
      this.sharded = started;
      started.then(
        () => {
          // Stryker disable next-line BooleanLiteral: equivalent, the flag only spares a later call's time limit on a check that has already resolved
          this.shardedKnown = true;
        },
        () => {
          if (this.sharded === started) this.sharded = undefined;
        },
      );
    }
    const ms = options?.timeoutMs;
    return ms === undefined || this.shardedKnown ? check : within(check, ms, 'COMMAND INFO');
  }

  /**
   * Publishes `message` on `channel` (`SPUBLISH` when {@link shardedPubSub}, else `PUBLISH`,
   * routed by the channel) and resolves how many subscribers of this node's shard (or, not
   * sharded, of the node that took it) received it.
   */
  async publish(channel: string, message: string, options?: CallOptions): Promise<number> {
    const sharded = await this.shardedPubSub(options);
    return Number(await this.send(publishCommand(sharded, channel, message), channel, options));
  }

  /**
   * The shared pub/sub connection, opened on first use and closed by {@link close}.
   * Handlers of many channels share it. Its channels are sharded when
   * {@link shardedPubSub} is `true`: publish to them with {@link publish}. After the
   * connection was lost it subscribes every channel again and tells its `onReconnect`
   * listeners (messages published meanwhile are lost). Rejects with
   * {@link RedisUnavailableError} after {@link close}: a closed connection opens no new one.
   */
  subscriber(): Promise<Subscriber> {
    if (this.closed) return Promise.reject(new RedisUnavailableError('the connection is closed: it opens no pub/sub connection'));
    if (!this.subscriberPromise) {
      this.subscriberPromise = this.shardedPubSub().then((sharded) => this.client.createSubscriber({ sharded }));
      this.subscriberPromise.catch(() => {
        this.subscriberPromise = undefined;
      });
    }
    return this.subscriberPromise;
  }

  /**
   * Iterates every key matching `pattern` on every primary with `SCAN`
   * (never `KEYS`). For admin calls only, never on a hot path.
   */
  async *scan(pattern: string, count = 500): AsyncGenerator<string[]> {
    await this.refusal();
    for (const node of await this.client.primaries()) {
      let cursor = '0';
      do {
        const reply = (await within(node.send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', count]), this.commandTimeoutMs, 'SCAN')) as [
          string,
          string[],
        ];
        cursor = String(reply[0]);
        if (reply[1].length) yield reply[1];
      } while (cursor !== '0');
    }
  }

  /**
   * A second connection to the same deployment with the same prefix, serializer and
   * timeout, owned (and closed) by the caller: for blocking reads such as
   * `XREADGROUP BLOCK` that would otherwise stall every other command.
   */
  async duplicate(options?: CallOptions): Promise<RedisConnection> {
    if (this.closed) throw new RedisUnavailableError('the connection is closed: it opens no new connection');
    const ms = options?.timeoutMs ?? this.commandTimeoutMs;
    const opening = this.client.duplicate();
    let client: RedisClient;
    try {
      client = await timeLimit(opening, ms, () => new CommandTimeoutError(ms, 'a new connection'));
    } catch (err) {
      // Given up on: close the copy if it connects after all, so nothing is left open.
      opening.then((late) => late.close()).catch(() => {});
      throw toTypedError(err);
    }
    return new RedisConnection(client, true, {
      prefix: this.prefix,
      serializer: this.serializer,
      commandTimeoutMs: this.commandTimeoutMs,
      coalesceScripts: this.coalesceScripts,
      evictionCheck: this.evictionCheck,
    });
  }

  // A client closed while its server was down may stay `reconnecting` (ioredis) and queue a
  // command until its timeout; a closed connection that owned it refuses the command at once.
  private refusal(): Promise<never> | undefined {
    if (!this.closed || !this.owned) return undefined;
    return Promise.reject(new RedisUnavailableError('the connection is closed'));
  }

  /**
   * Closes the pub/sub connection, and the client if this connection created it. A closed
   * connection opens no new connection ({@link duplicate}, {@link subscriber}), and one that
   * created its client refuses every later command with {@link RedisUnavailableError}.
   * Commands still waiting for a reply when the server is down end with their timeout.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching?.();
    const sub = this.subscriberPromise;
    this.subscriberPromise = undefined;
    if (sub) await (await sub.catch(() => undefined))?.close();
    if (this.owned) await this.client.close();
  }
}

/** What modules accept as `connection`: a {@link RedisConnection} or a raw client to wrap. */
export type ConnectionLike = RedisConnection | SupportedClient;

/** Returns `value` if it is a {@link RedisConnection}, otherwise wraps the raw client with default options. */
export function toConnection(value: ConnectionLike): RedisConnection {
  if (value == null) throw new ValidationError('connection', 'is required');
  if ((value as { [BRAND]?: boolean })[BRAND] === true) return value as RedisConnection;
  return RedisConnection.from(value);
}

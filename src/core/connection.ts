import { type CreateClientOptions, createClient } from './client/create.js';
import { adaptClient, type SupportedClient } from './client/detect.js';
import type { BatchOptions, RedisArg, RedisClient, RedisReply, Subscriber } from './client/types.js';
import { ValidationError } from './errors.js';
import { KeySpace } from './keys.js';
import { definedScripts, type LuaScript, VARIADIC_KEYS } from './script.js';
import { ScriptRunner } from './script-runner.js';
import { jsonSerializer, type Serializer } from './serializer.js';
import { assertNonNegative } from './validation.js';
import { within } from './within.js';

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
   * Lets concurrent calls of a batched script (a rate-limit check, a `FencedLock` or
   * `Semaphore` acquire or release) made in the same tick
   * share one `EVALSHA`, up to 16 per command (on a cluster: calls of one hash tag). Each
   * call still runs as its own atomic step and gets its own reply and timeout. Redis pays
   * its per-command cost and the script's `TIME` once per batch instead of once per call,
   * which is most of what a short script costs under load. Set `false` to send one
   * `EVALSHA` per call. Default `true`.
   */
  batchScripts?: boolean;
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
export class RedisConnection {
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
  private readonly batchScripts: boolean;
  private subscriberPromise: Promise<Subscriber> | undefined;
  private readonly keySpaces = new Map<string, KeySpace>();

  private constructor(client: RedisClient, owned: boolean, options: RedisConnectionOptions) {
    const timeout = options.commandTimeoutMs ?? 2000;
    assertNonNegative('commandTimeoutMs', timeout);
    if (options.prefix !== undefined && typeof options.prefix !== 'string') {
      throw new ValidationError('prefix', 'must be a string');
    }
    // A brand rather than `instanceof`, so a CJS copy of core in one subpath bundle still recognizes another's connection.
    Object.defineProperty(this, BRAND, { value: true });
    this.client = client;
    this.owned = owned;
    this.prefix = options.prefix ?? '';
    this.serializer = options.serializer ?? jsonSerializer;
    this.commandTimeoutMs = timeout;
    this.batchScripts = options.batchScripts ?? true;
    this.scripts = new ScriptRunner(client, this.batchScripts);
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

  /** Key builder of one module under this connection's prefix. */
  keys(module: string): KeySpace {
    let ks = this.keySpaces.get(module);
    if (!ks) {
      ks = new KeySpace(this.prefix, module);
      this.keySpaces.set(module, ks);
    }
    return ks;
  }

  /**
   * Runs a script with one `EVALSHA`; if the server has lost it (restart,
   * failover, `SCRIPT FLUSH`), sends the source with `EVAL` to the same node.
   * Calls of a batched script (see `ScriptOptions.batch`) may share one `EVALSHA`
   * with concurrent calls (see {@link RedisConnectionOptions.batchScripts}); each still
   * gets its own reply. `timeoutMs` overrides the connection's timeout for this call.
   */
  run(script: LuaScript, keys: readonly string[], args: readonly RedisArg[], options?: { timeoutMs?: number }): Promise<RedisReply> {
    const n = keys.length;
    if (n !== script.numberOfKeys && !(script.numberOfKeys === VARIADIC_KEYS && n > 0)) {
      return Promise.reject(new Error(`script ${script.name} takes ${script.numberOfKeys} keys, got ${n}`));
    }
    return this.scripts.run(script, keys, args, options?.timeoutMs ?? this.commandTimeoutMs);
  }

  /**
   * Sends one command; `routeKey` selects the cluster node. Errors are typed.
   * `timeoutMs` overrides the connection's timeout for this call (blocking commands).
   */
  send(args: readonly RedisArg[], routeKey?: string, options?: { timeoutMs?: number }): Promise<RedisReply> {
    const ms = options?.timeoutMs ?? this.commandTimeoutMs;
    return within(this.client.send(args, routeKey), ms, args[0] as string);
  }

  /** Sends commands in one round trip (all keys must share a slot on a cluster). */
  batch(commands: readonly (readonly RedisArg[])[], options: BatchOptions = {}): Promise<RedisReply[]> {
    return within(this.client.batch(commands, options), this.commandTimeoutMs, 'a batch');
  }

  /** Loads every defined script (or the given ones) on every primary, for callers that use them inside `MULTI`. */
  async preload(scripts: readonly LuaScript[] = definedScripts()): Promise<void> {
    const nodes = await this.client.primaries();
    await Promise.all(
      nodes.flatMap((node) => scripts.map((s) => within(node.send(['SCRIPT', 'LOAD', s.source]), this.commandTimeoutMs, 'SCRIPT LOAD'))),
    );
  }

  /**
   * The shared pub/sub connection, opened on first use and closed by {@link close}.
   * Handlers of many channels share it.
   */
  subscriber(): Promise<Subscriber> {
    if (!this.subscriberPromise) {
      this.subscriberPromise = this.client.createSubscriber();
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
  async duplicate(): Promise<RedisConnection> {
    const client = await this.client.duplicate();
    return new RedisConnection(client, true, {
      prefix: this.prefix,
      serializer: this.serializer,
      commandTimeoutMs: this.commandTimeoutMs,
      batchScripts: this.batchScripts,
    });
  }

  /** Closes the pub/sub connection, and the client if this connection created it. */
  async close(): Promise<void> {
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

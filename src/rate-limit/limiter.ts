import { EventEmitter } from 'node:events';
import type { RedisReply } from '../core/client/types.js';
import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import {
  CommandTimeoutError,
  RedisCommandError,
  RedisOutOfMemoryError,
  type RedisPatternsError,
  RedisUnavailableError,
  ValidationError,
} from '../core/errors.js';
import { encodeKeyPart, type KeySpace } from '../core/keys.js';
import { defineScript, type LuaScript } from '../core/script.js';
import { Instrument, type TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertNonNegative, assertPositiveInteger } from '../core/validation.js';
import { BlockCache } from './block-cache.js';
import { type LimitStatus, type RateLimitResult, type ResultSource, summarize } from './result.js';

/**
 * What a limiter answers when Redis cannot answer (unreachable, no reply within the timeout,
 * or a reply such as `READONLY`, `BUSY`, `MASTERDOWN` that means "not now"), or, for
 * `outOfMemoryPolicy`, when Redis is full: `'open'` lets the request through, `'closed'`
 * rejects it, `'throw'` rejects the call with the typed error. Other error replies
 * (`WRONGTYPE`, ...) are bugs and always throw.
 */
export type OutagePolicy = 'open' | 'closed' | 'throw';

/** Events of every limiter (it is an `EventEmitter`). */
export interface RateLimiterEvents {
  /**
   * Redis failed a check and the outage policy answered it (`'open'` or `'closed'`; with
   * `'throw'` the call rejects instead): for logs and metrics.
   */
  outage: [event: { error: RedisPatternsError; policy: 'open' | 'closed' }];
  /**
   * Redis refused a check because it is full (`RedisOutOfMemoryError`) and the out-of-memory
   * policy answered it (`'open'` or `'closed'`).
   */
  outOfMemory: [event: { error: RedisOutOfMemoryError; policy: 'open' | 'closed' }];
}

/** Options every limiter takes. */
export interface RateLimiterOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /**
   * Name of this limiter's counters, so that two limiters (say `messages` and `logins`)
   * keep separate counts for the same identity. Default: the algorithm's name.
   */
  name?: string;
  /**
   * What to answer when Redis is down or slow. Default `'open'`: a rate limiter protects a
   * service and should not take it down with Redis; use `'closed'` where letting requests
   * through is the bigger risk (login attempts, costly operations). Each such answer is
   * reported with an `outage` event.
   */
  outagePolicy?: OutagePolicy;
  /**
   * What to answer when Redis refuses a check because it reached `maxmemory` under
   * `noeviction` (`RedisOutOfMemoryError`). A full Redis still answers, and anyone able to
   * fill it must not be able to switch rate limiting off that way, so this is separate from
   * `outagePolicy` and never lets requests through unless set to `'open'`. Default
   * `'closed'`. Each such answer is reported with an `outOfMemory` event.
   */
  outOfMemoryPolicy?: OutagePolicy;
  /**
   * Longest wait for Redis per call, in ms, before the outage policy applies. Default: the
   * connection's `commandTimeoutMs`. Every wait is bounded by core's one shared deadline timer, so a
   * shorter value costs nothing extra.
   */
  timeoutMs?: number;
  /**
   * Keeps rejected identities in process until their `retryAfterMs`, so repeated checks of
   * a blocked identity cost no round trip. `true` for up to 10,000 identities. Default `false`.
   */
  blockCache?:
    | boolean
    | {
        /** Most identities kept; when full, the oldest block is dropped. Default `10000`. */
        maxEntries?: number;
      };
}

/** Options of {@link RateLimiter.check} and {@link RateLimiter.peek}. */
export interface CheckOptions {
  /** Units this request takes (its weight), an integer from 1 to the smallest limit. Default `1`. */
  cost?: number;
}

/** One configured limit as its script sees it. */
export interface LimitSpec {
  /** The most units at once, reported as `limit`. */
  limit: number;
  /** The two script arguments describing the limit. */
  args: readonly [string | number, string | number];
  /** Its window or refill period in ms: how long a fail-closed answer asks callers to wait. */
  periodMs: number;
}

/** What a subclass tells the base about its algorithm. */
export interface AlgorithmSpec {
  /** Default limiter name, e.g. `fixed-window`. */
  name: string;
  /** Short code in key names (`fw`), so limiters of different algorithms never share a key. */
  keyCode: string;
  /** The script's file name, e.g. `fixed-window`. */
  scriptName: string;
  /** Lua source of the algorithm's script (its `check` function and `scripts/includes/call.lua`). */
  source: string;
}

const instrument = new Instrument('rate-limit');

/** Script modes (ARGV[2] of every rate-limit script). */
const TAKE = 0;
const PEEK = 1;
const FORCE = 2;

/**
 * A limiter's limits: one limit described by the options themselves, or several
 * (`limits`, non-empty) on the same identity. With several, a request is admitted only if
 * every one allows it, and then counts against all of them.
 */
export type OneOrMoreLimits<L> =
  | L
  | {
      /** Several limits (non-empty), checked and taken from atomically. */
      limits: readonly L[];
    };

/**
 * Builds the specs of a limiter's limits: from `options.limits` when given, otherwise from
 * the single limit described by the options themselves. `field` names an option in
 * validation errors (`limits[1].windowMs` or `windowMs`).
 */
export function specsOf<T>(options: OneOrMoreLimits<T>, toSpec: (limit: T, field: (name: string) => string) => LimitSpec): LimitSpec[] {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'are required');
  const many = (options as { limits?: readonly T[] }).limits;
  if (many === undefined) return [toSpec(options as T, (name) => name)];
  if (!Array.isArray(many) || many.length === 0) throw new ValidationError('limits', 'must be a non-empty array');
  return many.map((l: T, i) => toSpec(l, (name) => `limits[${i}].${name}`));
}

/**
 * The machinery every algorithm shares: one script call per operation, keys of one
 * identity under one hash tag, validation before anything is sent, the outage policy and
 * the optional block cache. Subclasses only describe their limits and name their script.
 */
export abstract class RateLimiter extends EventEmitter<RateLimiterEvents> {
  /** The connection the limiter runs on. */
  readonly connection: RedisConnection;
  /** The name that separates this limiter's counters from other limiters'. */
  readonly name: string;
  private readonly script: LuaScript<readonly (string | number)[], number[]>;
  private readonly keySpace: KeySpace;
  private readonly suffixes: readonly string[];
  private readonly specs: readonly LimitSpec[];
  private readonly limitArgs: readonly (string | number)[];
  private readonly maxCost: number;
  private readonly outagePolicy: OutagePolicy;
  private readonly outOfMemoryPolicy: OutagePolicy;
  private readonly timeoutMs: number;
  private readonly blocks: BlockCache | undefined;
  private readonly telemetry: TelemetryAttributes;

  protected constructor(algorithm: AlgorithmSpec, options: RateLimiterOptions, specs: readonly LimitSpec[]) {
    super();
    this.connection = toConnection(options.connection);
    this.name = options.name ?? algorithm.name;
    assertKeyPart('name', this.name);
    this.outagePolicy = policyOption('outagePolicy', options.outagePolicy, 'open');
    this.outOfMemoryPolicy = policyOption('outOfMemoryPolicy', options.outOfMemoryPolicy, 'closed');
    const timeout = options.timeoutMs ?? 0;
    assertNonNegative('timeoutMs', timeout);
    // A timer only when it is shorter than the connection's own; otherwise that one already bounds the wait.
    const own = this.connection.commandTimeoutMs;
    this.timeoutMs = timeout > 0 && (own === 0 || timeout < own) ? timeout : 0;
    this.blocks = blockCacheOf(options.blockCache);
    this.telemetry = { limiter: this.name, algorithm: algorithm.name };
    this.specs = specs;
    this.maxCost = Math.min(...specs.map((s) => s.limit));
    this.limitArgs = specs.flatMap((s) => s.args);
    this.keySpace = this.connection.keys('rate-limit', { durable: true });
    const name = encodeKeyPart(this.name);
    this.suffixes = specs.map((_, i) => `:${name}:${algorithm.keyCode}${i}`);
    // Coalesced: concurrent checks share one EVALSHA, each answering 1 + 3 entries per limit. The
    // script takes one key per limit; each arity is its own registered script with the same source.
    const n = specs.length;
    const file = `rate-limit/${algorithm.scriptName}`;
    this.script = defineScript<readonly (string | number)[], number[]>(n === 1 ? file : `${file}#${n}`, algorithm.source, {
      keys: n,
      coalesce: { replyLength: 1 + 3 * n, readsTime: true },
      parseReply: numbers,
    });
  }

  /**
   * Takes `cost` units from every limit of `identity` if all of them have room, and
   * nothing otherwise. One script call (none when the block cache answers).
   */
  async check(identity: string, options?: CheckOptions): Promise<RateLimitResult> {
    const cost = this.costOf(options);
    assertKeyPart('identity', identity);
    if (!instrument.enabled) return this.take(identity, cost);
    return this.traced('check', identity, () => this.take(identity, cost));
  }

  /** Whether a request of `cost` would be allowed now, and the state of every limit, without taking anything. */
  async peek(identity: string, options?: CheckOptions): Promise<RateLimitResult> {
    const cost = this.costOf(options);
    assertKeyPart('identity', identity);
    return this.traced('peek', identity, () => this.call(identity, cost, PEEK));
  }

  /** Takes `units` from every limit of `identity` even past the limit (e.g. after a failed login), pushing its next allowed request later. */
  async penalty(identity: string, units: number): Promise<RateLimitResult> {
    return this.force(identity, units, 1);
  }

  /** Gives `units` back to every limit of `identity` (e.g. a request that turned out not to count). */
  async reward(identity: string, units: number): Promise<RateLimitResult> {
    return this.force(identity, units, -1);
  }

  /** Forgets every count of `identity`: its next request starts with whole limits. One `DEL`. */
  async reset(identity: string): Promise<void> {
    assertKeyPart('identity', identity);
    this.blocks?.forget(identity);
    const keys = this.keysOf(identity);
    await instrument.trace('reset', this.telemetry, identity, async () => {
      await this.connection.send(['DEL', ...keys], keys[0]);
    });
  }

  private async force(identity: string, units: number, sign: 1 | -1): Promise<RateLimitResult> {
    assertPositiveInteger('units', units);
    assertKeyPart('identity', identity);
    this.blocks?.forget(identity);
    return this.traced(sign > 0 ? 'penalty' : 'reward', identity, () => this.call(identity, sign * units, FORCE));
  }

  private async take(identity: string, cost: number): Promise<RateLimitResult> {
    const blocks = this.blocks;
    if (!blocks) return this.call(identity, cost, TAKE);
    const cached = blocks.get(identity);
    if (cached) return cached;
    const result = await this.call(identity, cost, TAKE);
    // Only a rejection of a single unit says that nothing at all fits before retryAfterMs.
    if (!result.allowed && cost === 1 && result.source === 'redis') blocks.block(identity, result);
    return result;
  }

  // The operation on the module's tracing channel, its outcome: `allowed`/`rejected` when Redis
  // (or the block cache) answered, else the result's source (`fail-open`, `oom-closed`, ...).
  private traced(operation: string, identity: string, run: () => Promise<RateLimitResult>): Promise<RateLimitResult> {
    return instrument.trace(operation, this.telemetry, identity, async (context) => {
      const result = await run();
      if (context) {
        const answered = result.source === 'redis' || result.source === 'block-cache';
        context.outcome = answered ? (result.allowed ? 'allowed' : 'rejected') : result.source;
      }
      return result;
    });
  }

  private costOf(options: CheckOptions | undefined): number {
    const cost = options?.cost ?? 1;
    if (cost === 1) return 1;
    assertPositiveInteger('cost', cost);
    if (cost > this.maxCost) throw new ValidationError('cost', `must be at most ${this.maxCost} (the smallest limit), got ${cost}`);
    return cost;
  }

  private keysOf(identity: string): string[] {
    const stem = this.keySpace.stem(identity);
    return this.suffixes.map((s) => stem + s);
  }

  private call(identity: string, cost: number, mode: number): Promise<RateLimitResult> {
    const timeout = this.timeoutMs ? { timeoutMs: this.timeoutMs } : undefined;
    return this.connection.run(this.script, this.keysOf(identity), [cost, mode, ...this.limitArgs], timeout).then(
      (reply) => this.toResult(reply),
      (err: unknown) => {
        if (err instanceof RedisOutOfMemoryError) {
          const policy = this.outOfMemoryPolicy;
          if (policy === 'throw') throw err;
          this.emit('outOfMemory', { error: err, policy });
          return this.outageResult(policy === 'open' ? 'oom-open' : 'oom-closed');
        }
        const policy = this.outagePolicy;
        if (policy === 'throw' || !isOutage(err)) throw err;
        this.emit('outage', { error: err, policy });
        return this.outageResult(policy === 'open' ? 'fail-open' : 'fail-closed');
      },
    );
  }

  private toResult(reply: readonly number[]): RateLimitResult {
    const limits: LimitStatus[] = [];
    for (let i = 0; i < this.specs.length; i++) {
      limits.push({
        limit: (this.specs[i] as LimitSpec).limit,
        // Scripts report a penalty past the limit as negative; callers see "none left".
        remaining: Math.max(0, reply[1 + 3 * i] as number),
        resetMs: reply[2 + 3 * i] as number,
        retryAfterMs: reply[3 + 3 * i] as number,
      });
    }
    return summarize(reply[0] === 1, 'redis', limits);
  }

  private outageResult(source: ResultSource): RateLimitResult {
    const open = source === 'fail-open' || source === 'oom-open';
    // Closed: ask callers to come back after the shortest period, when Redis may be back.
    const wait = open ? 0 : Math.min(...this.specs.map((s) => s.periodMs));
    const limits = this.specs.map((s) => ({ limit: s.limit, remaining: open ? s.limit : 0, resetMs: wait, retryAfterMs: wait }));
    return summarize(open, source, limits);
  }
}

// Error replies that mean "Redis cannot answer now" rather than a bug: a failover in progress, a busy
// script. (Core already types CLUSTERDOWN and LOADING as unavailable, and OOM as out of memory.)
const OUTAGE_REPLY = /^(READONLY|BUSY|MASTERDOWN|TRYAGAIN)\b/;

function isOutage(err: unknown): err is RedisPatternsError {
  if (err instanceof RedisUnavailableError || err instanceof CommandTimeoutError) return true;
  return err instanceof RedisCommandError && OUTAGE_REPLY.test(err.message);
}

function blockCacheOf(option: RateLimiterOptions['blockCache']): BlockCache | undefined {
  if (!option) return undefined;
  const maxEntries = option === true ? 10_000 : (option.maxEntries ?? 10_000);
  assertPositiveInteger('blockCache.maxEntries', maxEntries);
  return new BlockCache(maxEntries);
}

function numbers(reply: RedisReply): number[] {
  return (reply as unknown[]).map(Number);
}

function policyOption(field: string, value: OutagePolicy | undefined, fallback: OutagePolicy): OutagePolicy {
  const policy = value ?? fallback;
  if (policy !== 'open' && policy !== 'closed' && policy !== 'throw') {
    throw new ValidationError(field, `must be 'open', 'closed' or 'throw', got ${String(policy)}`);
  }
  return policy;
}

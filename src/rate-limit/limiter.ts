import { EventEmitter } from 'node:events';
import { sleep } from '../core/async.js';
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
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertInRange, assertKeyPart, assertNonNegative, assertPositiveInteger, assertSignal } from '../core/validation.js';
import { type IdentityList, identityMatcher } from './access-lists.js';
import { BlockCache } from './block-cache.js';
import { Insurance, type InsuranceOptions } from './insurance.js';
import { type LimitStatus, type RateLimitResult, type ResultSource, summarize } from './result.js';
import { instrument } from './telemetry.js';
import { WaitTurns } from './wait-turns.js';

/**
 * What a limiter answers when Redis cannot answer (unreachable, no reply within the timeout,
 * or a reply such as `READONLY`, `BUSY`, `MASTERDOWN` that means "not now"), or, for
 * `outOfMemoryPolicy`, when Redis is full: `'open'` lets the request through, `'closed'`
 * rejects it, `'throw'` rejects the call with the typed error. Other error replies
 * (`WRONGTYPE`, ...) are bugs and always throw.
 */
export type FailurePolicy = 'open' | 'closed' | 'throw';

/**
 * What a limiter answers when Redis cannot answer: a {@link FailurePolicy}, or
 * `{ insurance: { share } }`, an in-process limiter granting that share of every limit until
 * Redis answers again (see {@link InsuranceOptions}).
 */
export type OutagePolicy =
  | FailurePolicy
  | {
      /** Answer from an in-process limiter with a share of every limit while Redis cannot. */
      insurance: InsuranceOptions;
    };

/** The `outage` event: a Redis failure the outage policy absorbed. */
export interface OutageEvent {
  /** What Redis failed with (`RedisUnavailableError`, `CommandTimeoutError`, a `READONLY` reply, ...). */
  error: RedisPatternsError;
  /** The policy that answered. */
  policy: 'open' | 'closed' | 'insurance';
}

/** The `outOfMemory` event: Redis refused a check because it is full. */
export interface OutOfMemoryEvent {
  /** The refusal. */
  error: RedisOutOfMemoryError;
  /** The out-of-memory policy that answered. */
  policy: 'open' | 'closed';
}

/** Events of every limiter (it is an `EventEmitter`). */
export interface RateLimiterEvents {
  /**
   * Redis failed a check and the outage policy answered it (`'open'`, `'closed'` or
   * `'insurance'`; with `'throw'` the call rejects instead): for logs and metrics. With
   * insurance, only the calls that tried Redis report it, not those answered in process
   * between two probes.
   */
  outage: [event: OutageEvent];
  /**
   * Redis refused a check because it is full (`RedisOutOfMemoryError`) and the out-of-memory
   * policy answered it (`'open'` or `'closed'`).
   */
  outOfMemory: [event: OutOfMemoryEvent];
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
   * through is the bigger risk (login attempts, costly operations), or
   * `{ insurance: { share: 0.2 } }` to keep limiting in process with that share of every
   * limit until Redis answers again (a fail-open limiter lets brute force through during an
   * outage, a fail-closed one locks everyone out). Each such answer is reported with an
   * `outage` event.
   */
  outagePolicy?: OutagePolicy;
  /**
   * What to answer when Redis refuses a check because it reached `maxmemory` under
   * `noeviction` (`RedisOutOfMemoryError`). A full Redis still answers, and anyone able to
   * fill it must not be able to switch rate limiting off that way, so this is separate from
   * `outagePolicy` and never lets requests through unless set to `'open'`. Default
   * `'closed'`. Each such answer is reported with an `outOfMemory` event.
   */
  outOfMemoryPolicy?: FailurePolicy;
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
  /**
   * Identities that are never limited: checks of them answer `allowed` in process, with
   * `source: 'allow-list'`, no round trip and nothing taken (internal services, health
   * checks). A list or set is copied when the limiter is made; pass a function to change it
   * later. Default: none.
   */
  allowList?: IdentityList;
  /**
   * Identities that are always rejected, in process, with `source: 'deny-list'` and no round
   * trip (banned keys, abusive addresses). Wins over `allowList`. Default: none.
   */
  denyList?: IdentityList;
}

/**
 * Options of {@link RateLimiter.check} and {@link RateLimiter.peek}. `L` is the limiter's
 * kind of limit (`WindowLimit`, `BucketLimit`, `GcraLimit`).
 */
export interface CheckOptions<L = unknown> {
  /** Units this request takes (its weight), an integer from 1 to the smallest limit. Default `1`. */
  cost?: number;
  /**
   * This call's own limits, in place of the configured ones (a tenant's plan, a user's tier),
   * with as many limits as the limiter was configured with, in the same order (they count in
   * the same keys). Validated like the constructor's. Default: the configured limits.
   */
  limits?: L | readonly L[];
}

/** Options of {@link RateLimiter.penalty} and {@link RateLimiter.reward}. */
export interface ForceOptions<L = unknown> {
  /** The limits to count against, as {@link CheckOptions.limits}. Default: the configured limits. */
  limits?: L | readonly L[];
}

/** Options of {@link RateLimiter.waitFor}. */
export interface WaitForOptions<L = unknown> extends CheckOptions<L> {
  /**
   * Longest time to wait for a slot, in ms (an integer from 0 to 86,400,000, one day); `0`
   * tries once. When the next slot is further away than what is left of it, `waitFor` stops
   * at once and resolves the rejection. Default `10000`.
   */
  maxWaitMs?: number;
  /** Stops waiting when aborted: `waitFor` rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Longest `maxWaitMs` of {@link RateLimiter.waitFor}: one day. */
export const MAX_WAIT_MS = 86_400_000;

/** One configured limit as its script sees it. */
export interface LimitSpec {
  /** The most units at once, reported as `limit`. */
  limit: number;
  /** The two script arguments describing the limit. */
  args: readonly [string | number, string | number];
  /** Its window or refill period in ms: how long a fail-closed answer asks callers to wait. */
  periodMs: number;
  /** What results report as `windowMs`: the window, or the time to refill from empty to `limit`. */
  windowMs: number;
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

/** Turns one limit into its spec, naming its options in errors through `field`. */
export type ToSpec<L> = (limit: L, field: (name: string) => string) => LimitSpec;

/**
 * Builds the specs of a limiter's limits: from `options.limits` when given, otherwise from
 * the single limit described by the options themselves. `field` names an option in
 * validation errors (`limits[1].windowMs` or `windowMs`).
 */
export function specsOf<T>(options: OneOrMoreLimits<T>, toSpec: ToSpec<T>): LimitSpec[] {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'are required');
  const many = (options as { limits?: readonly T[] }).limits;
  if (many === undefined) return [toSpec(options as T, (name) => name)];
  if (!Array.isArray(many) || many.length === 0) throw new ValidationError('limits', 'must be a non-empty array');
  return many.map((l: T, i) => toSpec(l, (name) => `limits[${i}].${name}`));
}

/** The limits one call counts against: the configured ones, or a call's own. */
interface Plan {
  readonly specs: readonly LimitSpec[];
  /** Every limit's two script arguments, in order. */
  readonly args: readonly (string | number)[];
  /** The largest cost that could ever pass: the smallest limit. */
  readonly maxCost: number;
  /** Tells plans apart in the block cache: `''` for the configured limits. */
  readonly signature: string;
}

function planOf(specs: readonly LimitSpec[], signature: string): Plan {
  return { specs, args: specs.flatMap((s) => s.args), maxCost: Math.min(...specs.map((s) => s.limit)), signature };
}

/**
 * The machinery every algorithm shares: one script call per operation, keys of one
 * identity under one hash tag, validation before anything is sent, the outage policy, the
 * allow and deny lists and the optional block cache. Subclasses only describe their limits
 * and name their script. `L` is the kind of limit (`WindowLimit`, `BucketLimit`, `GcraLimit`).
 */
export abstract class RateLimiter<L = unknown> extends EventEmitter<RateLimiterEvents> {
  /** The connection the limiter runs on. */
  readonly connection: RedisConnection;
  /** The name that separates this limiter's counters from other limiters'. */
  readonly name: string;
  private readonly script: LuaScript<readonly (string | number)[], number[]>;
  private readonly keySpace: KeySpace;
  private readonly suffixes: readonly string[];
  private readonly plan: Plan;
  // `never`: a limiter of any kind of limit stays assignable to `RateLimiter` (of `unknown`).
  private readonly toSpec: ToSpec<never>;
  private readonly outagePolicy: FailurePolicy | 'insurance';
  private readonly insurance: Insurance | undefined;
  private readonly outOfMemoryPolicy: FailurePolicy;
  private readonly timeoutMs: number;
  private readonly blocks: BlockCache | undefined;
  private readonly allows: ((identity: string) => boolean) | undefined;
  private readonly denies: ((identity: string) => boolean) | undefined;
  private readonly turns = new WaitTurns();
  private readonly telemetry: TelemetryAttributes;

  protected constructor(algorithm: AlgorithmSpec, options: RateLimiterOptions & OneOrMoreLimits<L>, toSpec: ToSpec<L>) {
    super();
    const specs = specsOf(options, toSpec);
    this.connection = toConnection(options.connection);
    this.name = options.name ?? algorithm.name;
    assertKeyPart('name', this.name);
    const outage = options.outagePolicy ?? 'open';
    if (typeof outage === 'object' && outage !== null) {
      this.insurance = new Insurance(outage.insurance);
      this.outagePolicy = 'insurance';
    } else {
      this.outagePolicy = policyOption('outagePolicy', outage, 'open');
    }
    this.outOfMemoryPolicy = policyOption('outOfMemoryPolicy', options.outOfMemoryPolicy, 'closed');
    const timeout = options.timeoutMs ?? 0;
    assertNonNegative('timeoutMs', timeout);
    // A timer only when it is shorter than the connection's own; otherwise that one already bounds the wait.
    const own = this.connection.commandTimeoutMs;
    this.timeoutMs = timeout > 0 && (own === 0 || timeout < own) ? timeout : 0;
    this.blocks = blockCacheOf(options.blockCache);
    this.allows = identityMatcher('allowList', options.allowList);
    this.denies = identityMatcher('denyList', options.denyList);
    this.telemetry = { limiter: this.name, algorithm: algorithm.name };
    this.toSpec = toSpec;
    // Stryker disable next-line StringLiteral: equivalent, any text without a comma tells the configured limits apart (block cache, insurance counts): a per-call plan's signature always holds one
    this.plan = planOf(specs, '');
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
   * nothing otherwise. One script call (none when the block cache, the allow list or the deny
   * list answers, or the insurance limiter between two probes of an outage).
   */
  async check(identity: string, options?: CheckOptions<L>): Promise<RateLimitResult> {
    const plan = this.planFor(options?.limits);
    const cost = costOf(options, plan);
    assertKeyPart('identity', identity);
    if (!instrument.enabled) return this.take(identity, cost, plan);
    return this.traced('check', identity, () => this.take(identity, cost, plan));
  }

  /** Whether a request of `cost` would be allowed now, and the state of every limit, without taking anything. */
  async peek(identity: string, options?: CheckOptions<L>): Promise<RateLimitResult> {
    const plan = this.planFor(options?.limits);
    const cost = costOf(options, plan);
    assertKeyPart('identity', identity);
    return this.traced('peek', identity, () => this.listed(identity, plan) ?? this.call(identity, cost, PEEK, plan));
  }

  /**
   * Takes a slot for `identity` as soon as one is free, waiting up to `maxWaitMs`: for clients
   * that must throttle themselves (calls to a partner API with a quota). Resolves the allowed
   * result once the cost was taken, or the rejection as soon as the next slot is further away
   * than the time left (`allowed: false`: nothing was taken). Waiters of one identity in this
   * process take slots in the order they asked (FIFO); rejects with the signal's reason when
   * aborted, having taken nothing.
   *
   * @example
   * const { allowed } = await partnerApi.waitFor('partner:acme', { maxWaitMs: 5_000, signal });
   * if (allowed) await fetch(url, { signal });
   */
  async waitFor(identity: string, options: WaitForOptions<L> = {}): Promise<RateLimitResult> {
    const plan = this.planFor(options.limits);
    const cost = costOf(options, plan);
    assertKeyPart('identity', identity);
    const maxWaitMs = options.maxWaitMs ?? 10_000;
    assertInRange('maxWaitMs', maxWaitMs, 0, MAX_WAIT_MS);
    if (!Number.isInteger(maxWaitMs)) throw new ValidationError('maxWaitMs', `must be an integer, got ${maxWaitMs}`);
    const signal = options.signal;
    assertSignal('signal', signal);
    signal?.throwIfAborted();
    const started = performance.now();
    return instrument.trace('waitFor', this.telemetry, identity, async (context) => {
      const result = await this.waitForSlot(identity, cost, plan, started + maxWaitMs, signal);
      if (context) {
        context.outcome = outcomeOf(result);
        context.measurements = { waitMs: performance.now() - started };
      }
      return result;
    });
  }

  /**
   * Takes `units` from every limit of `identity` even past the limit (e.g. after a failed
   * login), pushing its next allowed request later.
   */
  async penalty(identity: string, units: number, options?: ForceOptions<L>): Promise<RateLimitResult> {
    return this.force(identity, units, 1, options);
  }

  /** Gives `units` back to every limit of `identity` (e.g. a request that turned out not to count). */
  async reward(identity: string, units: number, options?: ForceOptions<L>): Promise<RateLimitResult> {
    return this.force(identity, units, -1, options);
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

  private async force(identity: string, units: number, sign: 1 | -1, options: ForceOptions<L> | undefined): Promise<RateLimitResult> {
    const plan = this.planFor(options?.limits);
    assertPositiveInteger('units', units);
    assertKeyPart('identity', identity);
    this.blocks?.forget(identity);
    return this.traced(sign > 0 ? 'penalty' : 'reward', identity, () => this.call(identity, sign * units, FORCE, plan));
  }

  private planFor(limits: L | readonly L[] | undefined): Plan {
    if (limits === undefined) return this.plan;
    const many = Array.isArray(limits);
    const list: readonly L[] = many ? (limits as readonly L[]) : [limits as L];
    const n = this.plan.specs.length;
    if (list.length !== n) {
      throw new ValidationError(
        'limits',
        `must hold ${n} limit${n === 1 ? '' : 's'}, as configured (they count in the same keys), got ${list.length}`,
      );
    }
    const specs = list.map((l, i) => this.toSpec(l as never, (name) => (many ? `limits[${i}].${name}` : `limits.${name}`)));
    return planOf(specs, specs.map((s) => s.args.join(',')).join(';'));
  }

  // The allow or deny list's answer, when the identity is on one.
  private listed(identity: string, plan: Plan): RateLimitResult | undefined {
    if (this.denies?.(identity)) return fixedResult(false, 'deny-list', plan);
    if (this.allows?.(identity)) return fixedResult(true, 'allow-list', plan);
    return undefined;
  }

  private async take(identity: string, cost: number, plan: Plan): Promise<RateLimitResult> {
    if (this.allows || this.denies) {
      const listed = this.listed(identity, plan);
      if (listed) return listed;
    }
    const blocks = this.blocks;
    if (!blocks) return this.call(identity, cost, TAKE, plan);
    const cached = blocks.get(identity, plan.signature);
    if (cached) return cached;
    const result = await this.call(identity, cost, TAKE, plan);
    // Only a rejection of a single unit says that nothing at all fits before retryAfterMs.
    if (!result.allowed && cost === 1 && result.source === 'redis') blocks.block(identity, result, plan.signature);
    return result;
  }

  private async waitForSlot(
    identity: string,
    cost: number,
    plan: Plan,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<RateLimitResult> {
    const turn = await this.turns.take(identity, Math.max(0, deadline - performance.now()), signal);
    try {
      for (;;) {
        const result = await this.take(identity, cost, plan);
        if (result.allowed || result.source === 'deny-list' || !turn.ready) return result;
        // A rejection always names its wait; 1 ms at least, so a zero can never spin.
        const wait = Math.max(1, result.retryAfterMs);
        if (performance.now() + wait > deadline) return result;
        await sleep(wait, signal);
      }
    } finally {
      turn.done();
    }
  }

  // The operation on the module's tracing channel, its outcome: `allowed`/`rejected` when Redis
  // (or the block cache) answered, else the result's source (`fail-open`, `oom-closed`, ...).
  private traced(operation: string, identity: string, run: () => Promise<RateLimitResult> | RateLimitResult): Promise<RateLimitResult> {
    return instrument.trace(operation, this.telemetry, identity, async (context) => {
      const result = await run();
      if (context) context.outcome = outcomeOf(result);
      return result;
    });
  }

  private keysOf(identity: string): string[] {
    const stem = this.keySpace.stem(identity);
    return this.suffixes.map((s) => stem + s);
  }

  private call(identity: string, cost: number, mode: number, plan: Plan): Promise<RateLimitResult> {
    const insurance = this.insurance;
    // Between two probes of an outage, the in-process limiter answers without a round trip.
    if (insurance?.active) return Promise.resolve(insurance.answer(insuranceKey(identity, plan), cost, mode, plan.specs));
    const timeout = this.timeoutMs ? { timeoutMs: this.timeoutMs } : undefined;
    return this.connection.run(this.script, this.keysOf(identity), [cost, mode, ...plan.args], timeout).then(
      (reply) => {
        insurance?.recover();
        return toResult(reply, plan);
      },
      (err: unknown) => {
        if (err instanceof RedisOutOfMemoryError) {
          const policy = this.outOfMemoryPolicy;
          if (policy === 'throw') throw err;
          this.emit('outOfMemory', { error: err, policy });
          return outageResult(policy === 'open' ? 'oom-open' : 'oom-closed', plan);
        }
        const policy = this.outagePolicy;
        if (policy === 'throw' || !isOutage(err)) throw err;
        this.emit('outage', { error: err, policy });
        if (insurance) {
          insurance.trip();
          return insurance.answer(insuranceKey(identity, plan), cost, mode, plan.specs);
        }
        return outageResult(policy === 'open' ? 'fail-open' : 'fail-closed', plan);
      },
    );
  }
}

function costOf(options: CheckOptions | undefined, plan: Plan): number {
  const cost = options?.cost ?? 1;
  if (cost === 1) return 1;
  assertPositiveInteger('cost', cost);
  if (cost > plan.maxCost) throw new ValidationError('cost', `must be at most ${plan.maxCost} (the smallest limit), got ${cost}`);
  return cost;
}

// Outcome on the tracing channel: `allowed`/`rejected` when Redis or the block cache answered,
// `insurance-allowed`/`insurance-rejected` for the in-process limiter, else the result's source.
function outcomeOf(result: RateLimitResult): string {
  const answered = result.source === 'redis' || result.source === 'block-cache';
  if (answered) return result.allowed ? 'allowed' : 'rejected';
  if (result.source === 'insurance') return result.allowed ? 'insurance-allowed' : 'insurance-rejected';
  return result.source;
}

function insuranceKey(identity: string, plan: Plan): string {
  return plan.signature === '' ? identity : `${identity}\u0000${plan.signature}`;
}

function toResult(reply: readonly number[], plan: Plan): RateLimitResult {
  const limits: LimitStatus[] = [];
  for (let i = 0; i < plan.specs.length; i++) {
    const spec = plan.specs[i] as LimitSpec;
    limits.push({
      limit: spec.limit,
      // Scripts report a penalty past the limit as negative; callers see "none left".
      remaining: Math.max(0, reply[1 + 3 * i] as number),
      resetMs: reply[2 + 3 * i] as number,
      retryAfterMs: reply[3 + 3 * i] as number,
      windowMs: spec.windowMs,
    });
  }
  return summarize(reply[0] === 1, 'redis', limits);
}

function outageResult(source: ResultSource, plan: Plan): RateLimitResult {
  const open = source === 'fail-open' || source === 'oom-open';
  // Closed: ask callers to come back after the shortest period, when Redis may be back.
  const wait = open ? 0 : Math.min(...plan.specs.map((s) => s.periodMs));
  const limits = plan.specs.map((s) => ({
    limit: s.limit,
    remaining: open ? s.limit : 0,
    resetMs: wait,
    retryAfterMs: wait,
    windowMs: s.windowMs,
  }));
  return summarize(open, source, limits);
}

// An allow-list answer (whole limits, nothing taken) or a deny-list one (nothing left; come back
// after the longest period, though the answer will not change while the identity is listed).
function fixedResult(allowed: boolean, source: ResultSource, plan: Plan): RateLimitResult {
  const wait = allowed ? 0 : Math.max(...plan.specs.map((s) => s.periodMs));
  const limits = plan.specs.map((s) => ({
    limit: s.limit,
    remaining: allowed ? s.limit : 0,
    resetMs: 0,
    retryAfterMs: wait,
    windowMs: s.windowMs,
  }));
  return summarize(allowed, source, limits);
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
  // Stryker disable next-line BooleanLiteral: equivalent, option is truthy here, so it is never false, and true's missing maxEntries falls back to the same 10,000
  const maxEntries = option === true ? 10_000 : (option.maxEntries ?? 10_000);
  assertPositiveInteger('blockCache.maxEntries', maxEntries);
  return new BlockCache(maxEntries);
}

function numbers(reply: RedisReply): number[] {
  return (reply as unknown[]).map(Number);
}

function policyOption(field: string, value: unknown, fallback: FailurePolicy): FailurePolicy {
  const policy = value ?? fallback;
  if (policy !== 'open' && policy !== 'closed' && policy !== 'throw') {
    const more = field === 'outagePolicy' ? ", 'throw' or { insurance: { share } }" : " or 'throw'";
    throw new ValidationError(field, `must be 'open', 'closed'${more}, got ${String(policy)}`);
  }
  return policy;
}

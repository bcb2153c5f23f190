import type { RedisReply } from '../core/client/types.js';
import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import type { KeySpace } from '../core/keys.js';
import { defineScript } from '../core/script.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertNonNegative, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';
import source from './scripts/hit-counter.lua';
import { instrument } from './telemetry.js';

/** A counter's state after a call. */
export interface Hits {
  /** Hits in the current window. */
  hits: number;
  /** Milliseconds until the window ends (0 when there are no hits). */
  ttlMs: number;
}

/** What a hit over `max` does to the window (see hit-counter.lua). */
export type OverMode = 'none' | 'restart' | 'backoff' | 'block';

// Stryker disable next-line StringLiteral: equivalent, hit-counter.lua compares the mode only with '1', '2' and '3', so any other none is none
const MODES: Record<OverMode, string> = { none: '0', restart: '1', backoff: '2', block: '3' };

const parseHits = (reply: RedisReply): Hits => {
  const [hits, ttl] = reply as unknown[];
  return { hits: Number(hits), ttlMs: Number(ttl) };
};

// Coalesced: the concurrent hits of a busy store share one EVALSHA (per hash tag on a cluster).
const hitScript = defineScript<[delta: number, windowMs: number, max: number, mode: string, blockMs: number], Hits>(
  'rate-limit/hit-counter',
  source,
  { keys: 1, coalesce: { replyLength: 2 }, parseReply: parseHits },
);

/** Options shared by the stores for express-rate-limit, @fastify/rate-limit and @nestjs/throttler. */
export interface HitCounterOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Separates this store's counters from other stores' and limiters' (a key part). Default: the adapter's name. */
  name?: string;
  /**
   * Longest wait for Redis per call, in ms; the store then rejects with `CommandTimeoutError`
   * and the host library's error option applies. Default: the connection's `commandTimeoutMs`.
   */
  timeoutMs?: number;
}

/** One call: `delta` hits (negative takes back, 0 reads) in a window of `windowMs`. */
export interface HitCall {
  delta: number;
  windowMs: number;
  /** Hits above it are over (0: none). */
  max?: number;
  over?: OverMode;
  blockMs?: number;
}

/**
 * The hit counter behind the stores of other libraries' middleware, which decide from the
 * count themselves: one coalesced script per call, the window a key TTL (Redis's clock), every
 * key of an identity under its hash tag. Validates before anything is sent and traces every
 * call as `operation` on the rate-limit channel.
 */
export class HitCounter {
  /** The connection the counter runs on. */
  readonly connection: RedisConnection;
  /** The name in its keys. */
  readonly name: string;
  private readonly keySpace: KeySpace;
  private readonly timeout: { timeoutMs: number } | undefined;
  private readonly telemetry: TelemetryAttributes;

  constructor(options: HitCounterOptions, defaultName: string) {
    this.connection = toConnection(options.connection);
    this.name = options.name ?? defaultName;
    assertKeyPart('name', this.name);
    const timeout = options.timeoutMs ?? 0;
    assertNonNegative('timeoutMs', timeout);
    this.timeout = timeout > 0 ? { timeoutMs: timeout } : undefined;
    this.keySpace = this.connection.keys('rate-limit');
    this.telemetry = { limiter: this.name, adapter: defaultName };
  }

  /** The counter key of `identity` in `scope` (e.g. a route), under the identity's hash tag. */
  key(identity: string, scope: readonly string[]): string {
    return this.keySpace.key(identity, this.name, ...scope, 'hits');
  }

  /** Validates and runs one call, traced as `operation`; `outcome` names what the caller will decide. */
  run(operation: string, identity: string, scope: readonly string[], call: HitCall, outcome?: (hits: Hits) => string): Promise<Hits> {
    assertKeyPart('key', identity);
    if (call.delta !== 0) assertPositiveInteger('windowMs', call.windowMs);
    const max = call.max ?? 0;
    // Stryker disable next-line StringLiteral: equivalent, never thrown: every store validates its max first (fastify's as max, nest's as limit)
    assertNonNegativeInteger('max', max);
    const blockMs = call.blockMs ?? 0;
    // Stryker disable next-line StringLiteral: equivalent, never thrown: only the nest store passes a block, validated first as blockDuration
    assertNonNegativeInteger('blockMs', blockMs);
    const mode = MODES[call.over ?? 'none'];
    const key = this.key(identity, scope);
    return instrument.trace(operation, this.telemetry, identity, async (context) => {
      const hits = await this.connection.run(hitScript, [key], [call.delta, call.windowMs, max, mode, blockMs], this.timeout);
      if (context && outcome) context.outcome = outcome(hits);
      return hits;
    });
  }

  /** Deletes the counter of `identity` in `scope` (one `DEL`), traced as `reset`. */
  reset(identity: string, scope: readonly string[]): Promise<void> {
    assertKeyPart('key', identity);
    const key = this.key(identity, scope);
    return instrument.trace('reset', this.telemetry, identity, async () => {
      await this.connection.send(['DEL', key], key, this.timeout);
    });
  }
}

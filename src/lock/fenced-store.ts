import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';
import { resourceKeys } from './resource-keys.js';
import { fencedWriteScript } from './scripts.js';
import { instrument } from './telemetry.js';

const TELEMETRY = { kind: 'fenced-store' } as const;

/** Options of {@link FencedStore}. */
export interface FencedStoreOptions {
  /** The same connection (and prefix) as the {@link FencedLock} whose tokens it checks. */
  connection: ConnectionLike;
  /** TTL in ms set on a record at every write; `0` keeps records until deleted. Default `0`. */
  ttlMs?: number;
}

/** Most fields one {@link FencedStore.write} sets. */
export const MAX_FENCED_FIELDS = 10_000;

/** Outcome of {@link FencedStore.write}. */
export interface FencedWriteResult {
  /** True when the fields were written. */
  written: boolean;
  /** The newest token the store knew of for the resource when the write ran: the current holder's, or the newest that wrote. */
  newestToken: number;
}

/**
 * Data kept in Redis next to a {@link FencedLock}'s keys (same hash tag), written only by a
 * holder whose token is not older than the current holder's, nor than the newest token that
 * wrote the record: the write and the check are one script, so a holder that lost its lock
 * (paused, expired, partitioned) can no longer overwrite the work of the next holder. The
 * record's field `_fence` keeps that newest token; field names starting with `_` are reserved.
 *
 * @example
 * const store = new FencedStore({ connection });
 * await locks.using('refill:rx-42', async ({ token }) => {
 *   const { written } = await store.write('refill:rx-42', token, { status: 'sent' });
 * });
 */
export class FencedStore {
  /** The connection the store runs on. */
  readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly ttlMs: number;

  constructor(options: FencedStoreOptions) {
    const { ttlMs = 0 } = options;
    assertNonNegativeInteger('ttlMs', ttlMs);
    this.connection = toConnection(options.connection);
    this.ks = this.connection.keys('lock', { durable: true });
    this.ttlMs = ttlMs;
  }

  /**
   * Sets `fields` on the resource's record if `token` is at least the newest fencing
   * token of the resource, in one `EVALSHA`. Values go through the connection's serializer.
   */
  async write(resource: string, token: number, fields: Record<string, unknown>): Promise<FencedWriteResult> {
    assertKeyPart('resource', resource);
    assertPositiveInteger('token', token);
    const entries = Object.entries(fields ?? {});
    if (entries.length === 0 || entries.length > MAX_FENCED_FIELDS) {
      throw new ValidationError('fields', `must have 1 to ${MAX_FENCED_FIELDS} fields`);
    }
    const pairs: string[] = [];
    for (const [field, value] of entries) {
      assertKeyPart('field', field);
      if (field.startsWith('_')) throw new ValidationError('field', `names starting with _ are reserved, got ${JSON.stringify(field)}`);
      pairs.push(field, this.connection.serializer.serialize(value));
    }
    const keys = resourceKeys(this.ks, resource);
    return instrument.trace('write', TELEMETRY, resource, async (context) => {
      const result = await this.connection.run(fencedWriteScript, [keys.lock, this.recordKey(resource)], [token, this.ttlMs, ...pairs]);
      if (context) context.outcome = result.written ? 'written' : 'stale';
      return result;
    });
  }

  /** Reads the resource's record (every field), or `null` when it has none. */
  async read<T extends Record<string, unknown> = Record<string, unknown>>(resource: string): Promise<T | null> {
    assertKeyPart('resource', resource);
    const key = this.recordKey(resource);
    const reply = await this.connection.send(['HGETALL', key], key);
    const pairs = toPairs(reply);
    if (pairs.length === 0) return null;
    const out: Record<string, unknown> = {};
    for (const [field, raw] of pairs) if (field !== '_fence') out[field] = this.connection.serializer.deserialize(raw);
    return out as T;
  }

  private recordKey(resource: string): string {
    return this.ks.key(resource, 'record');
  }
}

// ioredis returns HGETALL as a flat array through `call`, node-redis as an object or array.
function toPairs(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
    return out;
  }
  if (reply && typeof reply === 'object') return Object.entries(reply as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  return [];
}

import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger, assertText } from '../core/validation.js';
import { type BloomSize, bloomPositions, bloomSize } from './bloom-math.js';
import { BloomModuleMissingError } from './errors.js';
import { bloomAddScript, bloomExistsScript, moduleFlags } from './scripts.js';
import { instrument } from './telemetry.js';

/** Most items per {@link BloomFilter.add} or {@link BloomFilter.exists} call. */
export const MAX_BLOOM_BATCH = 1000;

/** Which implementation a filter uses. */
export type BloomBackend = 'module' | 'lua';

/** Options of {@link BloomFilter}. */
export interface BloomFilterOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Name of the filter (its hash tag), 1 to 1,024 UTF-8 bytes. Required. */
  name: string;
  /** Items the filter is sized for, a positive integer; beyond it the false-positive rate rises. Required. */
  capacity: number;
  /** Wanted false-positive rate at `capacity`, in (0, 0.5). Default `0.01`. */
  errorRate?: number;
  /** Expire the filter this many ms after its last `add` (an integer); `0` = never. Default `0`. */
  ttlMs?: number;
  /**
   * `auto` uses RedisBloom's `BF.*` when the server has it (checked once per
   * connection with `COMMAND INFO BF.ADD`), else the Lua bit array; `lua` and
   * `module` force one (`module` fails with {@link BloomModuleMissingError} without it). Default `auto`.
   */
  backend?: 'auto' | BloomBackend;
}

interface Resolved {
  connection: RedisConnection;
  name: string;
  capacity: number;
  errorRate: number;
  ttlMs: number;
  backend: 'auto' | BloomBackend;
  size: BloomSize;
}

function resolveOptions(options: BloomFilterOptions): Resolved {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  assertKeyPart('name', options.name);
  assertPositiveInteger('capacity', options.capacity);
  const errorRate = options.errorRate ?? 0.01;
  if (typeof errorRate !== 'number' || !(errorRate > 0 && errorRate < 0.5)) throw new ValidationError('errorRate', 'must be in (0, 0.5)');
  const ttlMs = options.ttlMs ?? 0;
  assertNonNegativeInteger('ttlMs', ttlMs);
  const backend = options.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'module' && backend !== 'lua') throw new ValidationError('backend', 'must be auto, module or lua');
  // The size first: it rejects a capacity too large for one Redis string before any connection is wrapped.
  const size = bloomSize(options.capacity, errorRate);
  return { connection: toConnection(options.connection), name: options.name, capacity: options.capacity, errorRate, ttlMs, backend, size };
}

const detected = new WeakMap<RedisConnection, Promise<boolean>>();

/**
 * A Bloom filter: "have we (probably) seen this item?" with no false negatives
 * and a bounded false-positive rate, e.g. "has this patient already been sent
 * the onboarding survey". Uses RedisBloom when available, otherwise a bit
 * string sized from `capacity` and `errorRate` with positions set and read in
 * Lua. One round trip per call (after the one-time detection).
 *
 * The two backends store different keys: switching backend starts an empty filter.
 *
 * @example
 * const surveyed = new BloomFilter({ connection, name: 'survey-sent', capacity: 1_000_000, errorRate: 0.001 });
 * if (!(await surveyed.exists('patient-42'))) await sendSurvey();
 * await surveyed.add('patient-42');
 */
export class BloomFilter {
  private readonly telemetry: TelemetryAttributes;
  /** Bits and hash functions of the Lua bit array (what `capacity` and `errorRate` require). */
  readonly size: BloomSize;
  private readonly options: Resolved;
  private readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private resolved: Promise<BloomBackend> | undefined;

  constructor(options: BloomFilterOptions) {
    this.options = resolveOptions(options);
    this.size = this.options.size;
    this.connection = this.options.connection;
    this.ks = this.connection.keys('counters', { durable: true });
    this.telemetry = { kind: 'bloom', filter: this.options.name };
  }

  /** The implementation in use (detects RedisBloom on first call). */
  backend(): Promise<BloomBackend> {
    // Stryker disable next-line ConditionalExpression: equivalent, detection is also cached per connection, so resolving again sends nothing and answers the same
    if (!this.resolved) {
      this.resolved = this.resolveBackend();
      this.resolved.catch(() => {
        this.resolved = undefined; // a failed detection (Redis down) is retried on the next call
      });
    }
    return this.resolved;
  }

  /** Adds `item`; returns `true` if it was certainly not there before. */
  async add(item: string): Promise<boolean> {
    return instrument.trace('add', this.telemetry, undefined, async () => {
      return (await this.addMany([item]))[0] as boolean;
    });
  }

  /** Adds items; per item, `true` if it was certainly not there before. */
  async addMany(items: readonly string[]): Promise<boolean[]> {
    return instrument.trace('addMany', this.telemetry, undefined, async () => {
      assertItems(items);
      if ((await this.backend()) === 'module') {
        const key = this.moduleKey();
        const insert = ['BF.INSERT', key, 'CAPACITY', this.options.capacity, 'ERROR', this.options.errorRate, 'ITEMS', ...items];
        const reply = this.options.ttlMs
          ? (await this.connection.pipeline([insert, ['PEXPIRE', key, this.options.ttlMs]], { atomic: true, routeKey: key }))[0]
          : await this.connection.send(insert, key);
        return moduleFlags(reply);
      }
      const positions = items.flatMap((i) => bloomPositions(i, this.size));
      return this.connection.run(bloomAddScript, this.luaKeys(), [this.size.bits, this.size.hashes, this.options.ttlMs, ...positions]);
    });
  }

  /** Whether `item` may have been added (`false` is certain; `true` is wrong at about `errorRate`). */
  async exists(item: string): Promise<boolean> {
    return instrument.trace('exists', this.telemetry, undefined, async () => {
      return (await this.existsMany([item]))[0] as boolean;
    });
  }

  /** {@link exists} for many items in one round trip. */
  async existsMany(items: readonly string[]): Promise<boolean[]> {
    return instrument.trace('existsMany', this.telemetry, undefined, async () => {
      assertItems(items);
      if ((await this.backend()) === 'module') {
        const key = this.moduleKey();
        return moduleFlags(await this.connection.send(['BF.MEXISTS', key, ...items], key));
      }
      const positions = items.flatMap((i) => bloomPositions(i, this.size));
      return this.connection.run(bloomExistsScript, this.luaKeys(), [this.size.bits, this.size.hashes, ...positions]);
    });
  }

  /** Deletes the filter. */
  async clear(): Promise<void> {
    return instrument.trace('clear', this.telemetry, undefined, async () => {
      const [bits, meta] = this.luaKeys();
      await this.connection.send(['DEL', bits, meta, this.moduleKey()], bits);
    });
  }

  private async resolveBackend(): Promise<BloomBackend> {
    if (this.options.backend === 'lua') return 'lua';
    const has = await hasBloomModule(this.connection, this.moduleKey());
    if (this.options.backend === 'module' && !has) throw new BloomModuleMissingError();
    return has ? 'module' : 'lua';
  }

  private luaKeys(): [string, string] {
    return [this.ks.key(this.options.name, 'bloom', 'bits'), this.ks.key(this.options.name, 'bloom', 'meta')];
  }

  private moduleKey(): string {
    return this.ks.key(this.options.name, 'bloom', 'bf');
  }
}

/** Asks the server once per connection whether `BF.ADD` exists; `routeKey` picks the cluster node. */
function hasBloomModule(connection: RedisConnection, routeKey: string): Promise<boolean> {
  let found = detected.get(connection);
  if (!found) {
    found = connection.send(['COMMAND', 'INFO', 'BF.ADD'], routeKey).then((reply) => Array.isArray(reply) && reply[0] != null);
    found.catch(() => detected.delete(connection));
    detected.set(connection, found);
  }
  return found;
}

function assertItems(items: readonly string[]): void {
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BLOOM_BATCH) {
    throw new ValidationError('items', `must be 1-${MAX_BLOOM_BATCH} strings`);
  }
  for (const item of items) {
    assertText('items', item);
  }
}

import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import { assertInRange, assertKeyPart, assertPositive, assertPositiveInteger } from '../core/validation.js';
import { list } from './job.js';
import { priorityAddScript } from './scripts.js';

// Members are a 16-hex-digit sequence number followed by the JSON payload.
const SEQ_DIGITS = 16;

/** Options of {@link PriorityQueue}. */
export interface PriorityQueueOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** The queue's name (1 to 1,024 bytes); also the hash tag of its keys. Required. */
  name: string;
}

/** {@link PriorityQueueOptions} validated, with the connection resolved. */
interface ResolvedPriorityOptions {
  connection: RedisConnection;
  name: string;
}

function resolveOptions(options: PriorityQueueOptions): ResolvedPriorityOptions {
  if (options === null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  assertKeyPart('name', options.name);
  return { connection: toConnection(options.connection), name: options.name };
}

/** One job taken from a {@link PriorityQueue}. */
export interface PriorityJob<T = unknown> {
  /** Sequence number given at `add` (unique per queue). */
  id: string;
  /** The job's name. */
  name: string;
  /** The payload given to `add`. */
  data: T;
  /** Its priority (lower runs first). */
  priority: number;
}

/** One job for {@link PriorityQueue.addBulk}. */
export interface PriorityBulkJob<T> {
  /** The job's name. */
  name: string;
  /** The payload. */
  data: T;
  /** Lower runs first (0 is the most urgent). Default `0`. */
  priority?: number;
}

/**
 * A priority queue on one sorted set: the lowest `priority` pops first, equal priorities
 * in insertion order. Popping removes the job (`ZPOPMIN`/`BZPOPMIN`): delivery is
 * AT MOST ONCE, with no retries or history. Use it when order of urgency matters more
 * than durability; use {@link StreamQueue} when no job may be lost.
 */
export class PriorityQueue<T = unknown> {
  /** The connection commands go through. */
  readonly connection: RedisConnection;
  /** The sorted set's key. */
  readonly key: string;
  private readonly seqKey: string;

  constructor(options: PriorityQueueOptions) {
    const { connection, name } = resolveOptions(options);
    this.connection = connection;
    const ks = connection.keys('queue', { durable: true });
    this.key = ks.key(name, 'priority');
    this.seqKey = ks.key(name, 'priority-seq');
  }

  /** Adds one job (one script call); resolves to its id. `priority`: lower runs first, default `0`. */
  async add(name: string, data: T, priority = 0): Promise<string> {
    // Stryker disable next-line StringLiteral: equivalent, addBulk resolves one id per job: the default is never used
    const [id = ''] = await this.addBulk([{ name, data, priority }]);
    return id;
  }

  /** Adds many jobs in one script call; resolves to their ids in order. */
  async addBulk(jobs: readonly PriorityBulkJob<T>[]): Promise<string[]> {
    if (!Array.isArray(jobs)) throw new ValidationError('jobs', 'must be an array');
    const args: (string | number)[] = [];
    jobs.forEach((j, i) => {
      assertKeyPart(`jobs[${i}].name`, j?.name);
      const priority = j.priority ?? 0;
      assertInRange(`jobs[${i}].priority`, priority, 0, Number.MAX_SAFE_INTEGER);
      let data: string;
      try {
        data = this.connection.serializer.serialize(j.data);
      } catch (err) {
        throw new ValidationError(`jobs[${i}].data`, (err as Error).message);
      }
      args.push(priority, JSON.stringify([j.name, data]));
    });
    if (jobs.length === 0) return [];
    const first = await this.connection.run(priorityAddScript, [this.key, this.seqKey], [jobs.length, ...args]);
    return jobs.map((_, i) => String(first + i));
  }

  /** Removes and returns up to `count` most urgent jobs without waiting (one `ZPOPMIN`). Default `1`. */
  async pop(count = 1): Promise<PriorityJob<T>[]> {
    assertPositiveInteger('count', count);
    const reply = list(await this.connection.send(['ZPOPMIN', this.key, count], this.key), 'ZPOPMIN');
    const out: PriorityJob<T>[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push(this.decode(String(reply[i]), Number(reply[i + 1])));
    return out;
  }

  /**
   * Waits up to `timeoutMs` (> 0) for the most urgent job (`BZPOPMIN`) on `blocking`, a
   * connection of its own (from `connection.duplicate()`) so that other commands are not
   * stalled. Resolves to `undefined` on timeout. The reply's time limit is `timeoutMs` plus
   * the connection's `commandTimeoutMs`. (No "wait forever": a reply given up on would pop a
   * job nobody receives.)
   */
  async take(blocking: RedisConnection, timeoutMs: number): Promise<PriorityJob<T> | undefined> {
    assertPositive('timeoutMs', timeoutMs);
    const wait = blocking.commandTimeoutMs === 0 ? 0 : timeoutMs + blocking.commandTimeoutMs;
    const reply = await blocking.send(['BZPOPMIN', this.key, timeoutMs / 1000], this.key, { timeoutMs: wait });
    if (reply === null) return undefined;
    const [, member, score] = list(reply, 'BZPOPMIN');
    return this.decode(String(member), Number(score));
  }

  /** Jobs in the queue (`ZCARD`). */
  async size(): Promise<number> {
    return Number(await this.connection.send(['ZCARD', this.key], this.key));
  }

  private decode(member: string, priority: number): PriorityJob<T> {
    const [name, data] = JSON.parse(member.slice(SEQ_DIGITS)) as [string, string];
    return {
      // Stryker disable next-line MethodExpression: equivalent, the JSON after the 16 hex digits starts with '[', where parseInt stops anyway
      id: String(Number.parseInt(member.slice(0, SEQ_DIGITS), 16)),
      name,
      data: this.connection.serializer.deserialize<T>(data),
      priority,
    };
  }
}

import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import { defineScript } from '../core/script.js';
import { assertInRange, assertKeyPart, assertNonNegative, assertPositiveInteger } from '../core/validation.js';
import prioritySource from './scripts/priority-add.lua';

const priorityAdd = defineScript('queue/priority-add', prioritySource, 2);

// Members are a 16-hex-digit sequence number followed by the JSON payload.
const SEQ_DIGITS = 16;

/** Options of {@link PriorityQueue}. */
export interface PriorityQueueOptions {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** The queue's name; also the hash tag of its keys. */
  name: string;
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
    assertKeyPart('name', options?.name);
    this.connection = toConnection(options.connection);
    const ks = this.connection.keys('queue');
    this.key = ks.key(options.name, 'priority');
    this.seqKey = ks.key(options.name, 'priority-seq');
  }

  /** Adds one job (one script call); resolves to its id. */
  async add(name: string, data: T, priority = 0): Promise<string> {
    const [id] = await this.addBulk([{ name, data, priority }]);
    return id as string;
  }

  /** Adds many jobs in one script call; resolves to their ids in order. */
  async addBulk(jobs: readonly PriorityBulkJob<T>[]): Promise<string[]> {
    if (!Array.isArray(jobs)) throw new ValidationError('jobs', 'must be an array');
    const args: (string | number)[] = [jobs.length];
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
    const first = Number(await this.connection.run(priorityAdd, [this.key, this.seqKey], args));
    return jobs.map((_, i) => String(first + i));
  }

  /** Removes and returns up to `count` most urgent jobs without waiting (one `ZPOPMIN`). Default `1`. */
  async pop(count = 1): Promise<PriorityJob<T>[]> {
    assertPositiveInteger('count', count);
    const reply = (await this.connection.send(['ZPOPMIN', this.key, count], this.key)) as unknown[];
    const out: PriorityJob<T>[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push(this.decode(String(reply[i]), Number(reply[i + 1])));
    return out;
  }

  /**
   * Waits up to `timeoutMs` for the most urgent job (`BZPOPMIN`) on `blocking`, a connection
   * of its own (from `connection.duplicate()`) so that other commands are not stalled.
   * Resolves to `undefined` on timeout.
   */
  async take(blocking: RedisConnection, timeoutMs: number): Promise<PriorityJob<T> | undefined> {
    assertNonNegative('timeoutMs', timeoutMs);
    const wait = blocking.commandTimeoutMs === 0 ? 0 : timeoutMs + blocking.commandTimeoutMs;
    const reply = (await blocking.send(['BZPOPMIN', this.key, timeoutMs / 1000], this.key, { timeoutMs: wait })) as unknown[] | null;
    if (!reply) return undefined;
    return this.decode(String(reply[1]), Number(reply[2]));
  }

  /** Jobs in the queue (`ZCARD`). */
  async size(): Promise<number> {
    return Number(await this.connection.send(['ZCARD', this.key], this.key));
  }

  private decode(member: string, priority: number): PriorityJob<T> {
    const [name, data] = JSON.parse(member.slice(SEQ_DIGITS)) as [string, string];
    return {
      id: String(Number.parseInt(member.slice(0, SEQ_DIGITS), 16)),
      name,
      data: this.connection.serializer.deserialize<T>(data),
      priority,
    };
  }
}

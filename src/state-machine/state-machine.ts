import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import { defineScript } from '../core/script.js';
import { assertKeyPart, assertPositiveInteger, assertText } from '../core/validation.js';
import { compileDefinition, type StateMachineDefinition } from './definition.js';
import { InvalidTransitionError } from './errors.js';
import startSource from './scripts/start.lua';
import transitionSource from './scripts/transition.lua';

const startScript = defineScript('state-machine/start', startSource, 2);
const transitionScript = defineScript('state-machine/transition', transitionSource, 2);

// User data lives in the same hash as the bookkeeping fields, behind this prefix so it can never overwrite them.
const DATA = 'data:';

/** Data merged into a flow; each field is stored (serialized) as its own hash field. */
export type FlowData = Record<string, unknown>;

/** Options of {@link StateMachine}. */
export interface StateMachineOptions<S extends string> {
  /** A {@link RedisConnection} or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Name of this kind of flow (e.g. `intake`); part of every key. */
  name: string;
  /** States and allowed moves, validated when the machine is constructed. */
  definition: StateMachineDefinition<S>;
  /**
   * A flow nobody moves for this long is abandoned and expires (refreshed by
   * `start` and every transition), in ms. Default 7 days.
   */
  ttlMs?: number;
  /** Transitions kept in the history (oldest dropped first). Default `50`. */
  historyLimit?: number;
}

/** Result of `start` and `transition`. */
export interface TransitionResult<S extends string> {
  /** The flow's id. */
  id: string;
  /** The state the flow is now in: the initial state after `start`, `to` after `transition`. */
  state: S;
  /** 1 after `start`, +1 per transition. */
  version: number;
  /** Redis time of the change, epoch ms. */
  at: number;
}

/** One recorded move (`from` is absent for the start). */
export interface HistoryEntry<S extends string> {
  /** The state the flow left; absent on the entry written by `start`. */
  from?: S;
  /** The state the flow entered. */
  to: S;
  /** Redis time, epoch ms. */
  at: number;
}

/** A flow as stored. */
export interface Flow<S extends string> {
  /** The flow's id. */
  id: string;
  /** The state the flow is in now. */
  state: S;
  /** 1 after `start`, +1 per transition: the number of moves plus one. */
  version: number;
  /** Redis time of `start`, epoch ms. */
  createdAt: number;
  /** Redis time of the latest `start` or transition, epoch ms. */
  updatedAt: number;
  /** Every data field merged in by `start` and the transitions so far (latest value of each, deserialized). */
  data: FlowData;
  /** Oldest first, at most `historyLimit` entries. */
  history: HistoryEntry<S>[];
}

/**
 * A state machine per id (e.g. one patient intake flow) in a Redis hash.
 * `transition` is an atomic compare-and-set: of many concurrent callers moving
 * the same flow out of the same state, exactly one wins; the others get a
 * {@link StateConflictError}. Moves the definition does not allow fail with an
 * {@link InvalidTransitionError} before anything is sent. One round trip per call.
 *
 * @example
 * const intake = new StateMachine({ connection, name: 'intake', definition });
 * await intake.start('patient-42');
 * await intake.transition('patient-42', 'InsuranceCheck', 'CoverageVerified', { payer: 'Aetna' });
 */
export class StateMachine<S extends string> {
  private readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly name: string;
  private readonly initial: S;
  private readonly moves: Map<S, ReadonlySet<S>>;
  private readonly ttlMs: number;
  private readonly historyLimit: number;

  constructor(options: StateMachineOptions<S>) {
    assertKeyPart('name', options.name);
    this.moves = compileDefinition(options.definition);
    this.initial = options.definition.initial;
    this.ttlMs = options.ttlMs ?? 7 * 86_400_000;
    assertPositiveInteger('ttlMs', this.ttlMs);
    this.historyLimit = options.historyLimit ?? 50;
    assertPositiveInteger('historyLimit', this.historyLimit);
    this.connection = toConnection(options.connection);
    this.ks = this.connection.keys('state-machine');
    this.name = options.name;
  }

  /** Whether the definition allows `from -> to`. */
  canTransition(from: S, to: S): boolean {
    return this.moves.get(from)?.has(to) ?? false;
  }

  /**
   * Creates flow `id` in the initial state with optional data.
   * @throws {@link StateConflictError} (expected `null`) when the flow exists
   */
  async start(id: string, data: FlowData = {}): Promise<TransitionResult<S>> {
    assertKeyPart('id', id);
    const fields = this.dataArgs(data);
    const reply = (await this.connection.run(startScript, this.keysOf(id), [this.initial, this.ttlMs, this.historyLimit, ...fields])) as [
      number,
      number,
    ];
    return { id, state: this.initial, version: Number(reply[0]), at: Number(reply[1]) };
  }

  /**
   * Moves flow `id` from `from` to `to` and merges `data` into it, atomically.
   * @throws {@link InvalidTransitionError} when the definition has no such move (nothing sent)
   * @throws {@link StateConflictError} when the flow is not in `from` (or does not exist)
   */
  async transition(id: string, from: S, to: S, data: FlowData = {}): Promise<TransitionResult<S>> {
    assertKeyPart('id', id);
    if (!this.moves.has(from)) throw new ValidationError('from', `${String(from)} is not a state`);
    if (!this.moves.has(to)) throw new ValidationError('to', `${String(to)} is not a state`);
    if (!this.canTransition(from, to)) throw new InvalidTransitionError(from, to);
    const fields = this.dataArgs(data);
    const reply = (await this.connection.run(transitionScript, this.keysOf(id), [from, to, this.ttlMs, this.historyLimit, ...fields])) as [
      number,
      number,
    ];
    return { id, state: to, version: Number(reply[0]), at: Number(reply[1]) };
  }

  /** The flow with its data and history, or `null` if there is none (never started, or expired). */
  async get(id: string): Promise<Flow<S> | null> {
    assertKeyPart('id', id);
    const [flowKey, historyKey] = this.keysOf(id);
    // MULTI: the hash and the history are read at one instant, in one round trip.
    const [fields, history] = (await this.connection.batch(
      [
        ['HGETALL', flowKey],
        ['LRANGE', historyKey, 0, -1],
      ],
      { atomic: true, routeKey: flowKey },
    )) as [string[], string[]];
    if (!fields.length) return null;
    const hash = new Map<string, string>();
    for (let i = 0; i < fields.length; i += 2) hash.set(fields[i] as string, fields[i + 1] as string);
    const data: FlowData = {};
    for (const [field, value] of hash) {
      if (field.startsWith(DATA)) data[field.slice(DATA.length)] = this.connection.serializer.deserialize(value);
    }
    return {
      id,
      state: hash.get('state') as S,
      version: Number(hash.get('version')),
      createdAt: Number(hash.get('createdAt')),
      updatedAt: Number(hash.get('updatedAt')),
      data,
      history: history.map((h) => JSON.parse(h) as HistoryEntry<S>),
    };
  }

  /** Deletes flow `id` (e.g. after its outcome was stored elsewhere). Returns whether it existed. */
  async delete(id: string): Promise<boolean> {
    assertKeyPart('id', id);
    const keys = this.keysOf(id);
    return Number(await this.connection.send(['DEL', ...keys], keys[0])) > 0;
  }

  private keysOf(id: string): [string, string] {
    return [this.ks.key(id, this.name, 'flow'), this.ks.key(id, this.name, 'history')];
  }

  private dataArgs(data: FlowData): string[] {
    if (data == null || typeof data !== 'object' || Array.isArray(data)) throw new ValidationError('data', 'must be a plain object');
    const out: string[] = [];
    for (const [field, value] of Object.entries(data)) {
      assertText('data field name', field);
      if (field.length === 0) throw new ValidationError('data', 'field names must be non-empty');
      if (value === undefined) continue;
      out.push(DATA + field, this.connection.serializer.serialize(value));
    }
    return out;
  }
}

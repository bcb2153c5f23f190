import type { RedisReply } from '../core/client/types.js';
import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { RedisCommandError, ValidationError } from '../core/errors.js';
import type { KeySpace } from '../core/keys.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertPositiveInteger, assertText } from '../core/validation.js';
import { compileDefinition, type StateMachineDefinition } from './definition.js';
import { InvalidTransitionError } from './errors.js';
import { type CasReply, startScript, transitionScript } from './scripts.js';
import { instrument } from './telemetry.js';

// User data lives in the same hash as the bookkeeping fields, behind this prefix so it can never overwrite them.
const DATA = 'data:';

/**
 * Most data fields one {@link StateMachine.start} or {@link StateMachine.transition} merges
 * (fields whose value is `undefined` are skipped and do not count); more are rejected with a
 * `ValidationError` before anything is sent.
 */
export const MAX_DATA_FIELDS = 10_000;

/** Data merged into a flow; each field is stored (serialized) as its own hash field. */
export type FlowData = Record<string, unknown>;

/** Options of {@link StateMachine}. */
export interface StateMachineOptions<S extends string> {
  /** A `RedisConnection` or a raw ioredis / node-redis client. */
  connection: ConnectionLike;
  /** Name of this kind of flow (e.g. `intake`), 1 to 1,024 UTF-8 bytes; part of every key. Required. */
  name: string;
  /** States and allowed moves, validated when the machine is constructed. Required. */
  definition: StateMachineDefinition<S>;
  /**
   * A flow nobody moves for this long is abandoned and expires (refreshed by
   * `start` and every transition), in ms. Default `604_800_000` (7 days).
   */
  ttlMs?: number;
  /** History entries kept, the start entry included (oldest dropped first). Default `50`. */
  historyLimit?: number;
}

/** {@link StateMachine.start} created the flow. */
export interface Started<S extends string> {
  /** The flow was created. */
  started: true;
  /** The flow's id. */
  id: string;
  /** The initial state. */
  state: S;
  /** Always 1 after `start`. */
  version: number;
  /** Redis time of the start, epoch ms. */
  at: number;
}

/** {@link StateMachine.start} found a flow with this id and left it unchanged. */
export interface AlreadyStarted<S extends string> {
  /** Nothing was created. */
  started: false;
  /** The flow's id. */
  id: string;
  /** The state the existing flow is in. */
  state: S;
  /** The existing flow's version. */
  version: number;
  /** Redis time of the existing flow's latest change (`updatedAt`), epoch ms. */
  at: number;
}

/** Outcome of {@link StateMachine.start}: check `started`. */
export type StartResult<S extends string> = Started<S> | AlreadyStarted<S>;

/** {@link StateMachine.transition} moved the flow. */
export interface Moved<S extends string> {
  /** The flow moved from `from` to `to`, and the data was merged. */
  moved: true;
  /** The flow's id. */
  id: string;
  /** The state the flow is in now: `to`. */
  state: S;
  /** The flow's version after the move (1 after `start`, +1 per move). */
  version: number;
  /** Redis time of the move, epoch ms. */
  at: number;
}

/**
 * {@link StateMachine.transition} found the flow elsewhere than in `from` (another caller
 * moved it first), or found no flow (never started, deleted or expired), and changed nothing.
 */
export interface NotMoved<S extends string> {
  /** Nothing changed. */
  moved: false;
  /** The flow's id. */
  id: string;
  /** The state the flow is actually in; `null` when there is no flow. */
  state: S | null;
  /** The flow's version; `0` when there is no flow. */
  version: number;
  /** Redis time of the flow's latest change (`updatedAt`), epoch ms; `0` when there is no flow. */
  at: number;
}

/** Outcome of {@link StateMachine.transition}: check `moved`. A lost compare-and-set is a result, not an error. */
export type TransitionResult<S extends string> = Moved<S> | NotMoved<S>;

/** One recorded move. */
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
  /**
   * Oldest first, at most `historyLimit` entries. The first is the start entry (`{ to: initial, at }`,
   * without `from`) until the flow has made `historyLimit` moves; from then on the oldest entries are dropped.
   */
  history: HistoryEntry<S>[];
}

interface Resolved<S extends string> {
  connection: RedisConnection;
  name: string;
  initial: S;
  moves: Map<S, ReadonlySet<S>>;
  ttlMs: number;
  historyLimit: number;
}

function resolveOptions<S extends string>(options: StateMachineOptions<S>): Resolved<S> {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  assertKeyPart('name', options.name);
  const moves = compileDefinition(options.definition);
  const ttlMs = options.ttlMs ?? 7 * 86_400_000;
  assertPositiveInteger('ttlMs', ttlMs);
  const historyLimit = options.historyLimit ?? 50;
  assertPositiveInteger('historyLimit', historyLimit);
  return {
    connection: toConnection(options.connection),
    name: options.name,
    initial: options.definition.initial,
    moves,
    ttlMs,
    historyLimit,
  };
}

/**
 * A state machine per id (e.g. one patient intake flow) in a Redis hash.
 * `transition` is an atomic compare-and-set: of many concurrent callers moving
 * the same flow out of the same state, exactly one gets `moved: true`; the others get
 * `moved: false` and the state the flow is actually in. Moves the definition does not
 * allow fail with an {@link InvalidTransitionError} before anything is sent. One round
 * trip per call.
 *
 * @example
 * const intake = new StateMachine({ connection, name: 'intake', definition });
 * await intake.start('patient-42');
 * const result = await intake.transition('patient-42', 'InsuranceCheck', 'CoverageVerified', { payer: 'Aetna' });
 * if (!result.moved) console.log(`someone else moved it: now ${result.state}`);
 */
export class StateMachine<S extends string> {
  private readonly telemetry: TelemetryAttributes;
  private readonly options: Resolved<S>;
  private readonly connection: RedisConnection;
  private readonly ks: KeySpace;
  private readonly moves: Map<S, ReadonlySet<S>>;

  constructor(options: StateMachineOptions<S>) {
    this.options = resolveOptions(options);
    this.connection = this.options.connection;
    this.moves = this.options.moves;
    this.ks = this.connection.keys('state-machine', { durable: true });
    this.telemetry = { machine: this.options.name };
  }

  /** Whether the definition allows `from -> to` (`false` when either is not a state). */
  canTransition(from: S, to: S): boolean {
    return this.moves.get(from)?.has(to) ?? false;
  }

  /**
   * Creates flow `id` in the initial state with optional data (up to {@link MAX_DATA_FIELDS}
   * fields). When a flow with this id exists, in any state, it is left unchanged and the
   * result says `started: false` with its state. One `EVALSHA`.
   */
  async start(id: string, data: FlowData = {}): Promise<StartResult<S>> {
    return instrument.trace('start', this.telemetry, id, async () => {
      assertKeyPart('id', id);
      const fields = this.dataArgs(data);
      const reply = await this.connection.run(startScript, this.keysOf(id), [
        this.options.initial,
        this.options.ttlMs,
        this.options.historyLimit,
        ...fields,
      ]);
      const { version, at } = reply;
      if (reply.changed) return { started: true, id, state: this.options.initial, version, at };
      return { started: false, id, state: this.stateOf(reply) ?? this.options.initial, version, at };
    });
  }

  /**
   * Moves flow `id` from `from` to `to` and merges `data` (up to {@link MAX_DATA_FIELDS}
   * fields) into it, atomically, if the flow is in `from` now. Otherwise nothing changes and
   * the result says `moved: false` with the state the flow is actually in (`null` when there
   * is no flow). One `EVALSHA`.
   * @throws {@link InvalidTransitionError} when the definition does not allow `from -> to`
   * or either is not a state (nothing sent)
   */
  async transition(id: string, from: S, to: S, data: FlowData = {}): Promise<TransitionResult<S>> {
    return instrument.trace('transition', this.telemetry, id, async () => {
      assertKeyPart('id', id);
      const targets = this.moves.get(from);
      if (!targets) throw new InvalidTransitionError(String(from), String(to), 'from-not-a-state');
      // Stryker disable next-line StringLiteral: equivalent, InvalidTransitionError treats every reason but 'from-not-a-state' and 'not-allowed' as to-not-a-state
      if (!this.moves.has(to)) throw new InvalidTransitionError(String(from), String(to), 'to-not-a-state');
      if (!targets.has(to)) throw new InvalidTransitionError(from, to, 'not-allowed');
      const fields = this.dataArgs(data);
      const reply = await this.connection.run(transitionScript, this.keysOf(id), [
        from,
        to,
        this.options.ttlMs,
        this.options.historyLimit,
        ...fields,
      ]);
      const { version, at } = reply;
      if (reply.changed) return { moved: true, id, state: to, version, at };
      return { moved: false, id, state: this.stateOf(reply), version, at };
    });
  }

  /** The flow with its data and history, or `null` if there is none (never started, or expired). */
  async get(id: string): Promise<Flow<S> | null> {
    return instrument.trace('get', this.telemetry, id, async () => {
      assertKeyPart('id', id);
      const [flowKey, historyKey] = this.keysOf(id);
      // MULTI: the hash and the history are read at one instant, in one round trip.
      const [fields, history] = await this.connection.pipeline(
        [
          ['HGETALL', flowKey],
          ['LRANGE', historyKey, 0, -1],
        ],
        { atomic: true, routeKey: flowKey },
      );
      const flat = strings(fields);
      if (!flat.length) return null;
      const hash = new Map<string, string>();
      // Stryker disable next-line StringLiteral: equivalent, an HGETALL reply holds field, value pairs, so flat[i + 1] is always there
      for (let i = 0; i < flat.length; i += 2) hash.set(flat[i] as string, flat[i + 1] ?? '');
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
        history: strings(history).map((h) => JSON.parse(h) as HistoryEntry<S>),
      };
    });
  }

  /** Deletes flow `id` (e.g. after its outcome was stored elsewhere). Returns whether it existed. */
  async delete(id: string): Promise<boolean> {
    return instrument.trace('delete', this.telemetry, id, async () => {
      assertKeyPart('id', id);
      const keys = this.keysOf(id);
      return Number(await this.connection.send(['DEL', ...keys], keys[0])) > 0;
    });
  }

  // The scripts answer states this machine wrote, so they are states of S (or null: no flow).
  private stateOf(reply: CasReply): S | null {
    return reply.state as S | null;
  }

  private keysOf(id: string): [string, string] {
    return [this.ks.key(id, this.options.name, 'flow'), this.ks.key(id, this.options.name, 'history')];
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
    if (out.length > 2 * MAX_DATA_FIELDS) {
      throw new ValidationError('data', `must set at most ${MAX_DATA_FIELDS} fields, got ${out.length / 2}`);
    }
    return out;
  }
}

/** The strings of an array reply (a flat `HGETALL`, `LRANGE`). */
function strings(reply: RedisReply): string[] {
  if (!Array.isArray(reply)) throw new RedisCommandError(`expected an array reply, got ${typeof reply}`);
  return reply.map(String);
}

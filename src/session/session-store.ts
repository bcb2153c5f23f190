import { type ConnectionLike, type RedisConnection, toConnection } from '../core/connection.js';
import { type Durability, durableCalls } from '../core/durability.js';
import { ValidationError } from '../core/errors.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertKeyPart, assertNonNegativeInteger, assertPositiveInteger, booleanOption } from '../core/validation.js';
import { clientInfoFields } from './client-info.js';
import { F, type SessionKeys } from './layout.js';
import { SessionRecords } from './records.js';
import { createScript, type GetReply, listScript, rotateScript, updateScript } from './scripts.js';
import { instrument } from './telemetry.js';
import { newToken, parseToken, tokenId, userTag } from './token.js';

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** A `RedisConnection` or a raw ioredis / node-redis client. Required. */
  connection: ConnectionLike;
  /** A session not used for this many ms expires (sliding expiry); an integer > 0. Default `1_800_000` (30 minutes). */
  idleTimeoutMs?: number;
  /**
   * No session lives longer than this many ms after its creation, however active it is; an
   * integer > 0. Also the upper bound of per-session overrides. Default `86_400_000` (24 hours).
   */
  absoluteTimeoutMs?: number;
  /**
   * Most sessions one user may hold; creating one more (here, or a login through the
   * express-session or @fastify/session store) evicts the oldest. `0` = no limit. Default `0`.
   */
  maxSessionsPerUser?: number;
  /**
   * Whether using a session moves its expiry (`get` and `touch` slide it by its idle timeout,
   * the framework stores by their cookie). `false`: a session expires `idleTimeoutMs` after it
   * was created (for a framework store: after its first save) however often it is used,
   * `touch` only tells whether it is live, and a framework store's `touch` sends nothing and
   * its saves never move the expiry later (connect-redis's `disableTouch`, also honoured by
   * saves). The absolute lifetime caps it either way. Default `true`.
   */
  sliding?: boolean;
  /**
   * Key of the HMAC that turns a user id into the routing tag carried by the user's
   * tokens (a non-empty string or a Buffer). Without it the tag is a plain SHA-256 of the
   * user id, which anyone holding a token can test guesses against. Changing it strands
   * existing sessions from `destroyAll` / `list` (they keep working until they expire).
   * Default: none.
   */
  tagSecret?: string | Buffer;
  /**
   * Writes (create, update, rotate, every revocation) resolve only once `replicas` replicas
   * confirmed them within `waitMs` (`WAIT` in the same round trip), so a session created, or a
   * logout done, survives the failover of its primary; otherwise they reject with
   * `ReplicationError` (the write may or may not survive: a logout should be retried).
   * Reads and expiry slides do not wait. Each `WAIT` holds the connection until replicas
   * answer. Default: none.
   */
  durability?: Durability;
}

/** Per-session options of {@link SessionStore.create}. */
export interface CreateSessionOptions {
  /** Client IP address, shown by {@link SessionStore.list}. Cut to 512 characters. */
  ip?: string;
  /** Client user agent, shown by {@link SessionStore.list}. Cut to 512 characters. */
  userAgent?: string;
  /** Idle timeout of this session in ms (e.g. longer for "remember me"). Default: the store's `idleTimeoutMs`. */
  idleTimeoutMs?: number;
  /** Absolute lifetime of this session in ms, at most the store's. Default: the store's `absoluteTimeoutMs`. */
  absoluteTimeoutMs?: number;
}

/** Session data: a flat record of named fields, each stored (and updatable) on its own. */
export type SessionData = Record<string, unknown>;

/** What {@link SessionStore.create} returns. */
export interface CreatedSession {
  /** The secret to hand to the client (cookie / bearer). Redis only ever sees its SHA-256. */
  token: string;
  /** Public id of the session (the token's SHA-256), as shown by {@link SessionStore.list}. */
  id: string;
  /** Creation time, ms since the epoch (Redis clock). */
  createdAt: number;
  /** When the session expires unless used again, ms since the epoch. */
  expiresAt: number;
  /** When the session expires whatever happens, ms since the epoch. */
  absoluteExpiresAt: number;
  /** How many older sessions of the user were evicted by `maxSessionsPerUser`. */
  evicted: number;
}

/** Metadata of a live session. */
export interface SessionInfo {
  /** Public id of the session (SHA-256 of its token, base64url). */
  id: string;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** Last `get` / `touch`, ms since the epoch. */
  lastSeenAt: number;
  /** When the session expires unless used again. */
  expiresAt: number;
  /** When the session expires whatever happens. */
  absoluteExpiresAt: number;
  /** Client IP given at creation, if any. */
  ip?: string;
  /** Client user agent given at creation, if any. */
  userAgent?: string;
}

/** A live session as {@link SessionStore.get} returns it. */
export interface Session<T extends SessionData = SessionData> extends SessionInfo {
  /** The user the session belongs to. */
  userId: string;
  /** The session's data fields. */
  data: T;
}

/**
 * Stateful sessions in Redis: opaque 256-bit tokens (only their SHA-256 is stored),
 * sliding expiry capped by an absolute lifetime, field-level updates, a per-user index
 * for "log out everywhere" and a list of active sessions, optional per-user limit,
 * and token rotation. `get` (with the slide) is one round trip.
 *
 * Tokens look like `<tag>.<secret>`: the tag routes to the user's hash slot (so all of
 * a user's keys share one slot on a cluster), the secret is 256 random bits.
 *
 * @example
 * const sessions = new SessionStore({ connection, idleTimeoutMs: 15 * 60_000 });
 * const { token } = await sessions.create('user-42', { role: 'nurse' }, { ip, userAgent });
 * const session = await sessions.get(token); // null once expired or revoked
 * await sessions.destroyAll('user-42');     // log out everywhere
 */
export class SessionStore {
  private readonly telemetry: TelemetryAttributes;
  /** The connection in use. */
  readonly connection: RedisConnection;
  /** Resolved idle timeout, ms. */
  readonly idleTimeoutMs: number;
  /** Resolved absolute lifetime, ms. */
  readonly absoluteTimeoutMs: number;
  /** Resolved per-user limit (`0` = none). */
  readonly maxSessionsPerUser: number;
  /** Whether using a session moves its expiry (see {@link SessionStoreOptions.sliding}). */
  readonly sliding: boolean;
  /** How many replicas must confirm a write (see {@link SessionStoreOptions.durability}); `undefined` = none. */
  readonly durability: Durability | undefined;
  private readonly records: SessionRecords;
  private readonly keys: SessionKeys;
  private readonly tagSecret: string | Buffer | undefined;
  // What get.lua is told: slide by the session's own idle timeout (''), or not at all (0).
  private readonly slide: '' | 0;

  constructor(options: SessionStoreOptions) {
    const resolved = resolveOptions(options);
    this.connection = resolved.connection;
    this.idleTimeoutMs = resolved.idleTimeoutMs;
    this.absoluteTimeoutMs = resolved.absoluteTimeoutMs;
    this.maxSessionsPerUser = resolved.maxSessionsPerUser;
    this.sliding = resolved.sliding;
    this.slide = resolved.sliding ? '' : 0;
    this.tagSecret = resolved.tagSecret;
    this.durability = resolved.durability;
    this.records = new SessionRecords(this.connection, durableCalls(resolved.durability));
    this.keys = this.records.keys;
    this.telemetry = {};
  }

  /** The routing tag of a user's keys and tokens (see the guide on its privacy trade-off). */
  tagOf(userId: string): string {
    assertKeyPart('userId', userId);
    return userTag(userId, this.tagSecret);
  }

  /**
   * Creates a session for `userId` with the given data fields and returns its token.
   * One round trip; two when `maxSessionsPerUser` is set (the index is read first so
   * evicted sessions can be deleted). Throws `ValidationError` / `SerializationError`
   * before anything is sent.
   */
  async create(userId: string, data: SessionData = {}, options: CreateSessionOptions = {}): Promise<CreatedSession> {
    return instrument.trace('create', this.telemetry, userId, async () => {
      const tag = this.tagOf(userId);
      const idle = options.idleTimeoutMs ?? this.idleTimeoutMs;
      const absolute = options.absoluteTimeoutMs ?? this.absoluteTimeoutMs;
      assertPositiveInteger('idleTimeoutMs', idle);
      assertPositiveInteger('absoluteTimeoutMs', absolute);
      if (absolute > this.absoluteTimeoutMs)
        throw new ValidationError('absoluteTimeoutMs', `must be at most the store's ${this.absoluteTimeoutMs}`);
      const fields = this.encodeFields(data).sets;
      fields.push(...clientInfoFields(options));
      const token = newToken(tag);
      const id = tokenId(token);
      const index = this.keys.index(tag);
      // Stryker disable next-line ArrayDeclaration: equivalent, create.lua reads KEYS[3..] and the trailing ids only when the limit is > 0
      const known = this.maxSessionsPerUser > 0 ? await this.records.readIndex(index) : [];
      const created = await this.connection.run(
        createScript,
        [this.keys.session(tag, id), index, ...known.map((k) => this.keys.session(tag, k))],
        [id, idle, absolute, this.maxSessionsPerUser, userId, fields.length, ...fields, ...known],
        this.records.writes,
      );
      return { token, id, ...created };
    });
  }

  /**
   * The live session of `token`, its idle expiry slid forward (never past the absolute
   * deadline; not at all with `sliding: false`) and its last-seen time updated: one round trip. `null` for an unknown,
   * expired, revoked or malformed token; a malformed one costs no Redis call.
   */
  async get<T extends SessionData = SessionData>(token: string): Promise<Session<T> | null> {
    return instrument.trace('get', this.telemetry, undefined, async (context) => {
      const parsed = parseToken(token);
      const reply = parsed ? await this.records.read(parsed, this.slide) : null;
      if (context) context.outcome = reply ? 'found' : 'missing';
      return parsed && reply ? this.decode<T>(parsed.id, reply) : null;
    });
  }

  /**
   * Slides the session's expiry like {@link get} without reading its data (with `sliding:
   * false` it only updates the last-seen time). `false` when not live.
   */
  async touch(token: string): Promise<boolean> {
    return instrument.trace('touch', this.telemetry, undefined, async (context) => {
      const parsed = parseToken(token);
      const found = parsed !== null && (await this.records.read(parsed, this.slide)) !== null;
      if (context) context.outcome = found ? 'found' : 'missing';
      return found;
    });
  }

  /**
   * Sets the given data fields (a value of `undefined` deletes the field) and leaves
   * every other field untouched: one round trip, no read-modify-write. Does not slide
   * the expiry. `false` when the session is not live (nothing written).
   */
  async update(token: string, fields: SessionData): Promise<boolean> {
    return instrument.trace('update', this.telemetry, undefined, async () => {
      const { sets, deletes } = this.encodeFields(fields);
      const parsed = parseToken(token);
      if (!parsed) return false;
      if (sets.length === 0 && deletes.length === 0) return false;
      return this.connection.run(
        updateScript,
        [this.keys.session(parsed.tag, parsed.id), this.keys.index(parsed.tag)],
        [parsed.id, sets.length / 2, ...sets, ...deletes],
        this.records.writes,
      );
    });
  }

  /** Revokes one session (logout): one round trip. `true` when it was live. */
  async destroy(token: string): Promise<boolean> {
    return instrument.trace('destroy', this.telemetry, undefined, async (context) => {
      const parsed = parseToken(token);
      const revoked = parsed !== null && (await this.records.destroy(parsed.tag, parsed.id, 0));
      if (context) context.outcome = revoked ? 'revoked' : 'missing';
      return revoked;
    });
  }

  /**
   * Revokes one session of `userId` by its public id (from {@link list}), e.g. "sign
   * out that device". `true` when it was live.
   */
  async destroyById(userId: string, sessionId: string): Promise<boolean> {
    return instrument.trace('destroyById', this.telemetry, userId, async () => {
      const tag = this.tagOf(userId);
      if (typeof sessionId !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return false;
      return this.records.destroy(tag, sessionId, 0);
    });
  }

  /**
   * "Log out everywhere": revokes every session of `userId` at once. Atomic: the
   * instant the script runs, no session of the user created before it is live (the
   * index they depend on is deleted in the same script). Two round trips (the index
   * is read first so the session hashes can be deleted too). Returns how many
   * sessions the index held.
   */
  async destroyAll(userId: string): Promise<number> {
    return instrument.trace('destroyAll', this.telemetry, userId, async () => {
      return this.records.destroyAll(this.tagOf(userId), 0);
    });
  }

  /**
   * The live sessions of `userId` (e.g. an "active devices" page), oldest first (ties
   * within one millisecond in no set order);
   * index entries of expired sessions are removed on the way. Two round trips.
   */
  async list(userId: string): Promise<SessionInfo[]> {
    return instrument.trace('list', this.telemetry, userId, async () => {
      const tag = this.tagOf(userId);
      const index = this.keys.index(tag);
      const ids = await this.records.readIndex(index);
      if (ids.length === 0) return [];
      const rows = await this.connection.run(listScript, [index, ...ids.map((id) => this.keys.session(tag, id))], ids);
      return rows.map(({ ip, userAgent, ...times }) => ({ ...times, ...(ip ? { ip } : {}), ...(userAgent ? { userAgent } : {}) }));
    });
  }

  /**
   * Issues a new token for the same session (after login or a privilege change) and
   * invalidates the old one in the same atomic step. Data, creation time and deadlines
   * carry over. `null` when the old token is not live (nothing changed).
   */
  async rotate(token: string): Promise<string | null> {
    return instrument.trace('rotate', this.telemetry, undefined, async (context) => {
      const parsed = parseToken(token);
      if (context) context.outcome = 'missing';
      if (!parsed) return null;
      const next = newToken(parsed.tag);
      const nextId = tokenId(next);
      const rotated = await this.connection.run(
        rotateScript,
        [this.keys.session(parsed.tag, parsed.id), this.keys.session(parsed.tag, nextId), this.keys.index(parsed.tag)],
        [parsed.id, nextId],
        this.records.writes,
      );
      if (context && rotated) context.outcome = 'rotated';
      return rotated ? next : null;
    });
  }

  private encodeFields(fields: SessionData): { sets: string[]; deletes: string[] } {
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) throw new ValidationError('data', 'must be a plain object');
    const sets: string[] = [];
    const deletes: string[] = [];
    const serializer = this.connection.serializer;
    for (const [name, value] of Object.entries(fields)) {
      assertKeyPart('data field name', name);
      if (name === '__proto__') throw new ValidationError('data field name', 'must not be __proto__');
      if (value === undefined) deletes.push(F.dataPrefix + name);
      else sets.push(F.dataPrefix + name, serializer.serialize(value));
    }
    return { sets, deletes };
  }

  private decode<T extends SessionData>(id: string, { fields, now, expires }: GetReply): Session<T> {
    const data: SessionData = {};
    const serializer = this.connection.serializer;
    for (const [name, raw] of fields) {
      const key = name.startsWith(F.dataPrefix) ? name.slice(F.dataPrefix.length) : undefined;
      if (key !== undefined && key !== '__proto__') data[key] = serializer.deserialize(raw);
    }
    const ip = fields.get(F.ip);
    const ua = fields.get(F.userAgent);
    return {
      id,
      userId: fields.get(F.user) ?? '',
      data: data as T,
      createdAt: Number(fields.get(F.created)),
      lastSeenAt: Number(now),
      expiresAt: Number(expires),
      absoluteExpiresAt: Number(fields.get(F.deadline)),
      ...(ip !== undefined ? { ip } : {}),
      ...(ua !== undefined ? { userAgent: ua } : {}),
    };
  }
}

/** {@link SessionStoreOptions} with every default applied. */
interface ResolvedSessionStoreOptions {
  connection: RedisConnection;
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  maxSessionsPerUser: number;
  sliding: boolean;
  tagSecret: string | Buffer | undefined;
  durability: Durability | undefined;
}

/** Defaults and validation of every option, before anything is sent. */
function resolveOptions(options: SessionStoreOptions): ResolvedSessionStoreOptions {
  if (options == null || typeof options !== 'object') throw new ValidationError('options', 'must be an object');
  const { idleTimeoutMs = 1_800_000, absoluteTimeoutMs = 86_400_000, maxSessionsPerUser = 0, tagSecret } = options;
  assertPositiveInteger('idleTimeoutMs', idleTimeoutMs);
  assertPositiveInteger('absoluteTimeoutMs', absoluteTimeoutMs);
  assertNonNegativeInteger('maxSessionsPerUser', maxSessionsPerUser);
  const sliding = booleanOption('sliding', options.sliding, true);
  if (tagSecret !== undefined && !(typeof tagSecret === 'string' && tagSecret) && !Buffer.isBuffer(tagSecret)) {
    throw new ValidationError('tagSecret', 'must be a non-empty string or a Buffer');
  }
  // Validated here, before anything is sent (durableCalls throws on a bad one).
  durableCalls(options.durability);
  const durability = options.durability;
  return {
    connection: toConnection(options.connection),
    idleTimeoutMs,
    absoluteTimeoutMs,
    maxSessionsPerUser,
    sliding,
    tagSecret,
    durability,
  };
}

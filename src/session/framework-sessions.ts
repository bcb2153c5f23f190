import { durableCalls } from '../core/durability.js';
import { ValidationError } from '../core/errors.js';
import type { TelemetryAttributes } from '../core/telemetry.js';
import { assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';
import { type ClientInfo, clientInfoValues } from './client-info.js';
import { F } from './layout.js';
import { RecentlySeen } from './recently-seen.js';
import { SessionRecords } from './records.js';
import { type SaveReply, saveScript, toFieldMap } from './scripts.js';
import type { SessionStore } from './session-store.js';
import { instrument } from './telemetry.js';
import { newToken, type ParsedToken, parseToken, randomTag } from './token.js';

/** A session object as a framework hands it to its store (`cookie` plus the app's fields). */
export interface StoredFrameworkSession {
  /** The session cookie's settings; only `expires` is read, to set the stored session's TTL. */
  cookie?: {
    /** When the cookie expires (a `Date`, or its JSON string); the session expires with it. Absent or `null` for a browser-session cookie: the store's `ttlMs` applies. */
    expires?: Date | string | null;
    /** Milliseconds until the cookie expires, as the framework reports it. Not read by the store (`expires` carries the same information). */
    maxAge?: number | null;
  };
  [field: string]: unknown;
}

/** What the default `clientInfo` reads of a request: express's and Fastify's requests both have it. */
export interface RequestLike {
  /** The client's address as the framework sees it (mind `trust proxy` / `trustProxy`). */
  ip?: unknown;
  /** The request headers; `user-agent` is read. */
  headers?: Record<string, string | string[] | undefined>;
}

/** The options both framework stores share. */
export interface FrameworkStoreOptions {
  /**
   * The {@link SessionStore} whose keys, routing tags, absolute lifetime, `maxSessionsPerUser`
   * and `sliding` the store shares: `sessions.destroyAll(userId)` and `sessions.list(userId)`
   * cover its sessions too. Required.
   */
  sessions: SessionStore;
  /** Reads the user id from a session object; `undefined` = anonymous. Default: `sess.userId` when it is a non-empty string. */
  userId?: (sess: StoredFrameworkSession) => string | undefined;
  /** Time to live in ms of a session whose cookie has no expiry; an integer > 0. Default: the SessionStore's `idleTimeoutMs`. */
  ttlMs?: number;
  /**
   * After `destroy`, `destroyAll` or an eviction by `maxSessionsPerUser`, a marker blocks the
   * sid for this many ms so a request still in flight cannot save the session back. `0` = no
   * marker. Default `60_000`.
   */
  tombstoneMs?: number;
  /**
   * What `regenerateFor(request, userId)` records of the request, shown by
   * `sessions.list(userId)` like the `ip` and `userAgent` of `SessionStore.create`: stored
   * with the login's save, each cut to 512 characters. `false` records nothing. Default: the
   * request's `ip` and its `user-agent` header.
   */
  clientInfo?: ((request: RequestLike) => ClientInfo | undefined) | false;
  /**
   * A `touch` of a sid this store already touched or saved less than `touchAfterMs` ago sends
   * nothing: a busy session then costs one round trip per request (the read) instead of two.
   * The price: the session's expiry in Redis may trail its cookie's by up to `touchAfterMs`,
   * so it can end that much earlier than the cookie says; keep it well below the idle timeout.
   * Remembered per store instance (each process touches at most once per period). An integer
   * ≥ 0; `0` = every touch is sent. Default `0`.
   */
  touchAfterMs?: number;
}

/** {@link FrameworkStoreOptions} with every default applied. */
interface ResolvedOptions {
  sessions: SessionStore;
  userOf: (sess: StoredFrameworkSession) => string | undefined;
  ttlMs: number;
  tombstoneMs: number;
  touchAfterMs: number;
  clientInfo: ((request: RequestLike) => ClientInfo | undefined) | undefined;
}

/**
 * What the express-session and @fastify/session stores share, on the keys of a
 * {@link SessionStore}: sids that are tokens (routed to the user's slot once logged in), the
 * login helper, reads, saves that never revive a revoked session, touch, revocation, and the
 * admin scans. Each framework's store is a thin shell over it. Its operations are traced like
 * the `SessionStore`'s, with the `adapter` attribute naming the framework.
 */
export class FrameworkSessions {
  readonly sessions: SessionStore;
  private readonly records: SessionRecords;
  private readonly options: ResolvedOptions;
  private readonly telemetry: TelemetryAttributes;
  // The routing tag of the sid a login is about to generate, by request.
  private readonly loginTags = new WeakMap<object, string>();
  // What a login recorded of its request, by the new session object the framework saves.
  private readonly clients = new WeakMap<object, { ip: string; userAgent: string }>();
  // With touchAfterMs: when this store last slid each sid's expiry (touch or save).
  private readonly slid: RecentlySeen;

  constructor(options: FrameworkStoreOptions, adapter: 'express' | 'fastify') {
    this.options = resolveOptions(options);
    this.sessions = this.options.sessions;
    // Writes (saves, revocations) wait for the SessionStore's durability, if it has one.
    this.records = new SessionRecords(this.sessions.connection, durableCalls(this.sessions.durability));
    this.telemetry = { adapter };
    this.slid = new RecentlySeen(this.options.touchAfterMs);
  }

  /** A new sid: a token routed to the user being logged in on `request`, or to a random tag. */
  genid(request: object): string {
    return newToken(this.loginTags.get(request) ?? randomTag());
  }

  /**
   * Runs the framework's `regenerate` so that the new sid is routed to `userId`'s slot, then
   * remembers the request's client info for the new session's first save.
   */
  async regenerateFor(request: object, userId: string, regenerate: () => Promise<void>, sessionOf: () => unknown): Promise<void> {
    const tag = this.sessions.tagOf(userId);
    const info = this.options.clientInfo && clientInfoValues(this.options.clientInfo(request as RequestLike));
    this.loginTags.set(request, tag);
    try {
      await regenerate();
    } finally {
      this.loginTags.delete(request);
    }
    const session = sessionOf();
    if (info && session !== null && typeof session === 'object') this.clients.set(session, info);
  }

  /** Reads a session without sliding its expiry (the frameworks slide with `touch` or a save). */
  get(sid: string): Promise<StoredFrameworkSession | null> {
    return instrument.trace('get', this.telemetry, undefined, async (context) => {
      const parsed = parseToken(sid);
      const raw = parsed && (await this.records.read(parsed, 0))?.fields.get(F.express);
      if (context) context.outcome = raw ? 'found' : 'missing';
      return raw ? this.sessions.connection.serializer.deserialize<StoredFrameworkSession>(raw) : null;
    });
  }

  /**
   * Saves a whole session: one round trip; three on a login that may evict (see `save.lua`).
   * Never revives a session revoked while the request ran.
   */
  set(sid: string, sess: StoredFrameworkSession): Promise<void> {
    return instrument.trace('set', this.telemetry, undefined, async (context) => {
      const parsed = parseToken(sid);
      if (!parsed) throw new ValidationError('sid', 'is not a token of this store: pass its genid / idGenerator to the session middleware');
      const userId = this.options.userOf(sess);
      if (userId !== undefined && this.sessions.tagOf(userId) !== parsed.tag) {
        throw new ValidationError('sid', 'is not routed to its user: log in with store.regenerateFor(request, userId)');
      }
      const ttl = Math.ceil(this.ttlOf(sess));
      if (ttl <= 0) {
        await this.records.destroy(parsed.tag, parsed.id, this.options.tombstoneMs);
        if (context) context.outcome = 'expired';
        return;
      }
      const json = this.sessions.connection.serializer.serialize(sess);
      // 'revoked' means it was revoked while this request ran: it stays revoked.
      const saved = await this.save(parsed, ttl, userId ?? '', json, this.clients.get(sess));
      if (saved === 'saved') this.slid.add(sid);
      if (context) context.outcome = saved;
    });
  }

  /** Extends the expiry to what the cookie says, never past the absolute lifetime; nothing at all when not sliding. */
  touch(sid: string, sess: StoredFrameworkSession): Promise<void> {
    return instrument.trace('touch', this.telemetry, undefined, async (context) => {
      const parsed = parseToken(sid);
      const ttl = Math.ceil(this.ttlOf(sess));
      if (!parsed || ttl <= 0 || !this.sessions.sliding) return;
      if (this.slid.has(sid)) {
        if (context) context.outcome = 'skipped';
        return;
      }
      const found = (await this.records.read(parsed, ttl)) !== null;
      if (found) this.slid.add(sid);
      if (context) context.outcome = found ? 'found' : 'missing';
    });
  }

  /** Revokes one session, leaving a tombstone for `tombstoneMs`. */
  destroy(sid: string): Promise<void> {
    return instrument.trace('destroy', this.telemetry, undefined, async (context) => {
      const parsed = parseToken(sid);
      this.slid.delete(sid);
      const revoked = parsed !== null && (await this.records.destroy(parsed.tag, parsed.id, this.options.tombstoneMs));
      if (context) context.outcome = revoked ? 'revoked' : 'missing';
    });
  }

  /** Log out everywhere: every session of `userId`, atomically, with tombstones. */
  destroyAll(userId: string): Promise<number> {
    return instrument.trace('destroyAll', this.telemetry, userId, () =>
      this.records.destroyAll(this.sessions.tagOf(userId), this.options.tombstoneMs),
    );
  }

  /** Admin (SCAN): every live session saved by a framework store, with its stored id. */
  async *live(): AsyncGenerator<{ id: string; session: StoredFrameworkSession }> {
    const connection = this.sessions.connection;
    const keys = this.records.keys;
    for await (const batch of connection.scan(keys.sessionPattern())) {
      for (const key of batch) {
        const fields = toFieldMap(await connection.send(['HGETALL', key], key));
        const raw = fields.get(F.express);
        if (raw === undefined || fields.has(F.tombstone)) continue;
        if (fields.has(F.user)) {
          const index = keys.index(keys.tagOf(key));
          if ((await connection.send(['ZSCORE', index, keys.idOf(key)], index)) == null) continue;
        }
        yield { id: keys.idOf(key), session: connection.serializer.deserialize<StoredFrameworkSession>(raw) };
      }
    }
  }

  /** Admin (SCAN): deletes every key of the session module under the connection's prefix. */
  async clear(): Promise<void> {
    const connection = this.sessions.connection;
    for await (const batch of connection.scan(connection.keys('session').pattern())) {
      for (const key of batch) await connection.send(['DEL', key], key);
    }
  }

  private ttlOf(sess: StoredFrameworkSession): number {
    const expires = sess?.cookie?.expires;
    return expires ? new Date(expires).getTime() - Date.now() : this.options.ttlMs;
  }

  private async save(
    parsed: ParsedToken,
    ttl: number,
    userId: string,
    json: string,
    client: { ip: string; userAgent: string } | undefined,
  ): Promise<SaveReply> {
    const sessions = this.sessions;
    const keys = this.records.keys;
    const index = keys.index(parsed.tag);
    const own = [keys.session(parsed.tag, parsed.id), index];
    const sliding = sessions.sliding ? '1' : '0';
    const run = (known: readonly string[] | undefined) =>
      sessions.connection.run(
        saveScript,
        known ? [...own, ...known.map((id) => keys.session(parsed.tag, id))] : own,
        [
          parsed.id,
          ttl,
          sessions.absoluteTimeoutMs,
          userId,
          json,
          sessions.maxSessionsPerUser,
          sliding,
          this.options.tombstoneMs,
          client?.ip ?? '',
          client?.userAgent ?? '',
          known ? '1' : '0',
          // Stryker disable next-line ArrayDeclaration: equivalent, save.lua reads ARGV[12..] only when ARGV[11] is '1', i.e. when known was given
          ...(known ?? []),
        ],
        this.records.writes,
      );
    const first = await run(undefined);
    // A login at the user's limit: read the index so the evicted sessions' data goes in the same step.
    return first === 'needs-index' ? run(await this.records.readIndex(index)) : first;
  }
}

/** Defaults and validation of every option, before anything is sent. */
function resolveOptions(options: FrameworkStoreOptions): ResolvedOptions {
  const sessions = options?.sessions;
  // Duck-typed like core's connection brand: an ESM and a CJS copy of the module may meet in one app.
  if (!sessions || typeof sessions.tagOf !== 'function' || sessions.connection == null) {
    throw new ValidationError('sessions', 'must be a SessionStore');
  }
  const { ttlMs = sessions.idleTimeoutMs, tombstoneMs = 60_000, touchAfterMs = 0, userId, clientInfo } = options;
  assertPositiveInteger('ttlMs', ttlMs);
  assertNonNegativeInteger('tombstoneMs', tombstoneMs);
  assertNonNegativeInteger('touchAfterMs', touchAfterMs);
  if (userId !== undefined && typeof userId !== 'function') throw new ValidationError('userId', 'must be a function');
  if (clientInfo !== undefined && clientInfo !== false && typeof clientInfo !== 'function') {
    throw new ValidationError('clientInfo', 'must be a function or false');
  }
  return {
    sessions,
    ttlMs,
    tombstoneMs,
    touchAfterMs,
    userOf: userId ?? defaultUserOf,
    // Stryker disable next-line BooleanLiteral: equivalent, a false clientInfo kept as false records nothing either (true is refused above)
    clientInfo: clientInfo === false ? undefined : (clientInfo ?? defaultClientInfo),
  };
}

function defaultUserOf(sess: StoredFrameworkSession): string | undefined {
  return typeof sess.userId === 'string' && sess.userId ? sess.userId : undefined;
}

function defaultClientInfo(request: RequestLike): ClientInfo {
  const agent = request.headers?.['user-agent'];
  return { ip: typeof request.ip === 'string' ? request.ip : undefined, userAgent: typeof agent === 'string' ? agent : undefined };
}

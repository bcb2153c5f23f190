import { durableCalls } from '../core/durability.js';
import { ValidationError } from '../core/errors.js';
import { assertNonNegativeInteger, assertPositiveInteger } from '../core/validation.js';
import { F } from './layout.js';
import { SessionRecords } from './records.js';
import { saveScript, toFieldMap } from './scripts.js';
import type { SessionStore } from './session-store.js';
import { newToken, parseToken, randomTag } from './token.js';

/** The part of the `express-session` module this adapter needs: its `Store` base class. */
export interface ExpressSessionLike {
  /**
   * express-session's `Store` class, which the returned store extends (so express-session
   * accepts it). It is constructed without arguments.
   *
   * @returns An express-session store instance: the base of the adapter's store.
   */
  Store: abstract new () => object;
}

/** A session object as express-session hands it to a store (`cookie` plus the app's fields). */
export interface StoredExpressSession {
  /** The session cookie's settings; only `expires` is read, to set the stored session's TTL. */
  cookie?: {
    /** When the cookie expires (a `Date`, or its JSON string); the session expires with it. Absent or `null` for a browser-session cookie: the store's `ttlMs` applies. */
    expires?: Date | string | null;
    /** Milliseconds until the cookie expires, as express-session reports it. Not read by the store (`expires` carries the same information). */
    maxAge?: number | null;
  };
  [field: string]: unknown;
}

/** Node-style callback of the express-session store contract. */
type Callback<T> = (err: unknown, value?: T) => void;

/** Options of {@link createExpressSessionStore}. */
export interface ExpressSessionStoreOptions {
  /**
   * The {@link SessionStore} whose keys, routing tags and absolute lifetime the adapter
   * shares: `sessions.destroyAll(userId)` and `sessions.list(userId)` cover the
   * express sessions too. Required.
   */
  sessions: SessionStore;
  /** Reads the user id from a session object; `undefined` = anonymous. Default: `sess.userId` when it is a non-empty string. */
  userId?: (sess: StoredExpressSession) => string | undefined;
  /** Time to live in ms of a session whose cookie has no expiry; an integer > 0. Default: the SessionStore's `idleTimeoutMs`. */
  ttlMs?: number;
  /**
   * After `destroy` / `destroyAll`, a marker blocks the sid for this many ms so a request
   * still in flight cannot save the session back. `0` = no marker. Default `60_000`.
   */
  tombstoneMs?: number;
}

/** The store {@link createExpressSessionStore} returns: express-session's contract plus login and revocation helpers. */
export interface ExpressSessionStore {
  /** Pass as express-session's `genid`: sids carry a routing tag (the user's once logged in). */
  readonly genid: (req: object) => string;
  /**
   * Regenerates `req.session` with a sid routed to `userId`'s slot (use at login, also
   * a defence against session fixation). Set the user id on the new session afterwards.
   */
  regenerateFor(req: { session: { regenerate(cb: (err?: unknown) => void): unknown } }, userId: string): Promise<void>;
  /** Log out everywhere: revokes every session of `userId`, atomically. Returns how many the index held. */
  destroyAll(userId: string): Promise<number>;
  /** Reads a session without sliding its expiry (express-session slides with `touch`). */
  get(sid: string, cb?: Callback<StoredExpressSession | null>): Promise<StoredExpressSession | null>;
  /** Saves a whole session; never revives one revoked while the request ran. */
  set(sid: string, sess: StoredExpressSession, cb?: Callback<void>): Promise<void>;
  /** Extends the expiry to what the cookie says, never past the absolute lifetime. */
  touch(sid: string, sess: StoredExpressSession, cb?: Callback<void>): Promise<void>;
  /** Revokes one session. */
  destroy(sid: string, cb?: Callback<void>): Promise<void>;
  /** Admin (SCAN): every live express session, each with `id` = its stored id (the sid's SHA-256, never the sid). */
  all(cb?: Callback<StoredExpressSession[]>): Promise<StoredExpressSession[]>;
  /** Admin (SCAN): number of live express sessions. */
  length(cb?: Callback<number>): Promise<number>;
  /** Admin (SCAN): stored ids (SHA-256 of the sids) of live express sessions. */
  ids(cb?: Callback<string[]>): Promise<string[]>;
  /** Admin (SCAN): deletes every key of the session module under the connection's prefix, SessionStore sessions included. */
  clear(cb?: Callback<void>): Promise<void>;
}

function settle<T>(promise: Promise<T>, cb: Callback<T> | undefined): Promise<T> {
  if (!cb) return promise;
  return promise.then(
    (value) => {
      cb(null, value);
      return value;
    },
    (err) => {
      cb(err);
      return undefined as T;
    },
  );
}

/**
 * An express-session store on Redis. The sid is the token (`<tag>.<secret>`, produced
 * by the store's `genid`), only its SHA-256 is stored, and sessions of a user share the
 * user's slot so `destroyAll` is one atomic step.
 *
 * @example
 * const sessions = new SessionStore({ connection });
 * const store = createExpressSessionStore(session, { sessions });
 * app.use(session({ store, genid: store.genid, secret, resave: false, saveUninitialized: false }));
 * // login: await store.regenerateFor(req, user.id); req.session.userId = user.id;
 */
export function createExpressSessionStore(session: ExpressSessionLike, options: ExpressSessionStoreOptions): ExpressSessionStore {
  const { sessions, ttlMs, tombstoneMs, userOf } = resolveOptions(options);
  const connection = sessions.connection;
  const records = new SessionRecords(connection, durableCalls(sessions.durability));
  const keys = records.keys;
  const loginTags = new WeakMap<object, string>();

  const ttlOf = (sess: StoredExpressSession): number => {
    const expires = sess?.cookie?.expires;
    return expires ? new Date(expires).getTime() - Date.now() : ttlMs;
  };
  const sidOrThrow = (sid: string) => {
    const parsed = parseToken(sid);
    if (!parsed) throw new ValidationError('sid', 'is not a token of this store: pass genid: store.genid to express-session');
    return parsed;
  };
  const isLive = async (key: string, fields: Map<string, string>): Promise<boolean> => {
    if (!fields.has(F.express) || fields.has(F.tombstone)) return false;
    if (!fields.has(F.user)) return true;
    const index = keys.index(keys.tagOf(key));
    return (await connection.send(['ZSCORE', index, keys.idOf(key)], index)) != null;
  };
  async function* liveSessions(): AsyncGenerator<{ key: string; fields: Map<string, string> }> {
    for await (const batch of connection.scan(keys.sessionPattern())) {
      for (const key of batch) {
        const fields = toFieldMap(await connection.send(['HGETALL', key], key));
        if (await isLive(key, fields)) yield { key, fields };
      }
    }
  }

  class RedisExpressSessionStore extends session.Store implements ExpressSessionStore {
    readonly genid = (req: object): string => newToken(loginTags.get(req) ?? randomTag());

    regenerateFor(req: { session: { regenerate(cb: (err?: unknown) => void): unknown } }, userId: string): Promise<void> {
      loginTags.set(req, sessions.tagOf(userId));
      return new Promise<void>((resolve, reject) => {
        req.session.regenerate((err) => {
          loginTags.delete(req);
          if (err) reject(err);
          else resolve();
        });
      });
    }

    destroyAll(userId: string): Promise<number> {
      return records.destroyAll(sessions.tagOf(userId), tombstoneMs);
    }

    get(sid: string, cb?: Callback<StoredExpressSession | null>): Promise<StoredExpressSession | null> {
      return settle(
        (async () => {
          const parsed = parseToken(sid);
          if (!parsed) return null;
          const raw = (await records.read(parsed, 0))?.fields.get(F.express);
          return raw === undefined ? null : connection.serializer.deserialize<StoredExpressSession>(raw);
        })(),
        cb,
      );
    }

    set(sid: string, sess: StoredExpressSession, cb?: Callback<void>): Promise<void> {
      return settle(
        (async () => {
          const parsed = sidOrThrow(sid);
          const userId = userOf(sess);
          if (userId !== undefined && sessions.tagOf(userId) !== parsed.tag) {
            throw new ValidationError('sid', 'is not routed to its user: log in with store.regenerateFor(req, userId)');
          }
          const ttl = Math.ceil(ttlOf(sess));
          if (ttl <= 0) return this.destroy(sid);
          const json = connection.serializer.serialize(sess);
          // A 0 reply means the session was revoked while this request ran: it stays revoked.
          await connection.run(
            saveScript,
            [keys.session(parsed.tag, parsed.id), keys.index(parsed.tag)],
            [parsed.id, ttl, sessions.absoluteTimeoutMs, userId ?? '', json],
            records.writes,
          );
        })(),
        cb,
      );
    }

    touch(sid: string, sess: StoredExpressSession, cb?: Callback<void>): Promise<void> {
      return settle(
        (async () => {
          const parsed = parseToken(sid);
          const ttl = Math.ceil(ttlOf(sess));
          if (!parsed || ttl <= 0) return;
          await records.read(parsed, ttl);
        })(),
        cb,
      );
    }

    destroy(sid: string, cb?: Callback<void>): Promise<void> {
      return settle(
        (async () => {
          const parsed = parseToken(sid);
          if (parsed) await records.destroy(parsed.tag, parsed.id, tombstoneMs);
        })(),
        cb,
      );
    }

    all(cb?: Callback<StoredExpressSession[]>): Promise<StoredExpressSession[]> {
      return settle(
        (async () => {
          const out: StoredExpressSession[] = [];
          for await (const { key, fields } of liveSessions()) {
            const raw = fields.get(F.express);
            if (raw !== undefined) out.push({ ...connection.serializer.deserialize<StoredExpressSession>(raw), id: keys.idOf(key) });
          }
          return out;
        })(),
        cb,
      );
    }

    length(cb?: Callback<number>): Promise<number> {
      return settle(
        this.ids().then((ids) => ids.length),
        cb,
      );
    }

    ids(cb?: Callback<string[]>): Promise<string[]> {
      return settle(
        (async () => {
          const out: string[] = [];
          for await (const { key } of liveSessions()) out.push(keys.idOf(key));
          return out;
        })(),
        cb,
      );
    }

    clear(cb?: Callback<void>): Promise<void> {
      return settle(
        (async () => {
          for await (const batch of connection.scan(connection.keys('session').pattern())) {
            for (const key of batch) await connection.send(['DEL', key], key);
          }
        })(),
        cb,
      );
    }
  }

  return new RedisExpressSessionStore();
}

/** {@link ExpressSessionStoreOptions} with every default applied. */
interface ResolvedExpressSessionStoreOptions {
  sessions: SessionStore;
  userOf: (sess: StoredExpressSession) => string | undefined;
  ttlMs: number;
  tombstoneMs: number;
}

/** Defaults and validation of every option, before anything is sent. */
function resolveOptions(options: ExpressSessionStoreOptions): ResolvedExpressSessionStoreOptions {
  const sessions = options?.sessions;
  // Duck-typed like core's connection brand: an ESM and a CJS copy of the module may meet in one app.
  if (!sessions || typeof sessions.tagOf !== 'function' || sessions.connection == null) {
    throw new ValidationError('sessions', 'must be a SessionStore');
  }
  const { ttlMs = sessions.idleTimeoutMs, tombstoneMs = 60_000, userId } = options;
  assertPositiveInteger('ttlMs', ttlMs);
  assertNonNegativeInteger('tombstoneMs', tombstoneMs);
  if (userId !== undefined && typeof userId !== 'function') throw new ValidationError('userId', 'must be a function');
  return { sessions, ttlMs, tombstoneMs, userOf: userId ?? defaultUserOf };
}

function defaultUserOf(sess: StoredExpressSession): string | undefined {
  return typeof sess.userId === 'string' && sess.userId ? sess.userId : undefined;
}

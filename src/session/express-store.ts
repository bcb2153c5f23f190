import { type Callback, settle } from './callbacks.js';
import { FrameworkSessions, type FrameworkStoreOptions, type RequestLike, type StoredFrameworkSession } from './framework-sessions.js';

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
export type StoredExpressSession = StoredFrameworkSession;

/** Options of {@link createExpressSessionStore}: those of {@link FrameworkStoreOptions}. */
export type ExpressSessionStoreOptions = FrameworkStoreOptions;

/** The store {@link createExpressSessionStore} returns: express-session's contract plus login and revocation helpers. */
export interface ExpressSessionStore {
  /** Pass as express-session's `genid`: sids carry a routing tag (the user's once logged in). */
  readonly genid: (req: object) => string;
  /**
   * Regenerates `req.session` with a sid routed to `userId`'s slot (use at login, also
   * a defence against session fixation), and records the request's ip and user agent
   * (option `clientInfo`) with the new session's first save. Set the user id on the new
   * session afterwards.
   */
  regenerateFor(req: RequestLike & { session: { regenerate(cb: (err?: unknown) => void): unknown } }, userId: string): Promise<void>;
  /** Log out everywhere: revokes every session of `userId`, atomically. Returns how many the index held. */
  destroyAll(userId: string): Promise<number>;
  /** Reads a session without sliding its expiry (express-session slides with `touch`). */
  get(sid: string, cb?: Callback<StoredExpressSession | null>): Promise<StoredExpressSession | null>;
  /** Saves a whole session; never revives one revoked while the request ran. */
  set(sid: string, sess: StoredExpressSession, cb?: Callback<void>): Promise<void>;
  /** Extends the expiry to what the cookie says, never past the absolute lifetime; sends nothing when the SessionStore is not `sliding`. */
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

/**
 * An express-session store on Redis. The sid is the token (`<tag>.<secret>`, produced
 * by the store's `genid`), only its SHA-256 is stored, and sessions of a user share the
 * user's slot so `destroyAll` is one atomic step. It honours the SessionStore's
 * `maxSessionsPerUser` and `sliding`.
 *
 * @example
 * const sessions = new SessionStore({ connection });
 * const store = createExpressSessionStore(session, { sessions });
 * app.use(session({ store, genid: store.genid, secret, resave: false, saveUninitialized: false }));
 * // login: await store.regenerateFor(req, user.id); req.session.userId = user.id;
 */
export function createExpressSessionStore(session: ExpressSessionLike, options: ExpressSessionStoreOptions): ExpressSessionStore {
  const core = new FrameworkSessions(options, 'express');

  class RedisExpressSessionStore extends session.Store implements ExpressSessionStore {
    readonly genid = (req: object): string => core.genid(req);

    regenerateFor(req: RequestLike & { session: { regenerate(cb: (err?: unknown) => void): unknown } }, userId: string): Promise<void> {
      const regenerate = () =>
        new Promise<void>((resolve, reject) => {
          req.session.regenerate((err) => (err ? reject(err) : resolve()));
        });
      return core.regenerateFor(req, userId, regenerate, () => req.session);
    }

    destroyAll(userId: string): Promise<number> {
      return core.destroyAll(userId);
    }

    get(sid: string, cb?: Callback<StoredExpressSession | null>): Promise<StoredExpressSession | null> {
      return settle(core.get(sid), cb);
    }

    set(sid: string, sess: StoredExpressSession, cb?: Callback<void>): Promise<void> {
      return settle(core.set(sid, sess), cb);
    }

    touch(sid: string, sess: StoredExpressSession, cb?: Callback<void>): Promise<void> {
      return settle(core.touch(sid, sess), cb);
    }

    destroy(sid: string, cb?: Callback<void>): Promise<void> {
      return settle(core.destroy(sid), cb);
    }

    all(cb?: Callback<StoredExpressSession[]>): Promise<StoredExpressSession[]> {
      return settle(
        (async () => {
          const out: StoredExpressSession[] = [];
          for await (const { id, session } of core.live()) out.push({ ...session, id });
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
          for await (const { id } of core.live()) out.push(id);
          return out;
        })(),
        cb,
      );
    }

    clear(cb?: Callback<void>): Promise<void> {
      return settle(core.clear(), cb);
    }
  }

  return new RedisExpressSessionStore();
}

import { type Callback, settle } from './callbacks.js';
import { FrameworkSessions, type FrameworkStoreOptions, type RequestLike, type StoredFrameworkSession } from './framework-sessions.js';

/** Options of {@link createFastifySessionStore}: those of {@link FrameworkStoreOptions}. */
export type FastifySessionStoreOptions = FrameworkStoreOptions;

/** A Fastify request as `regenerateFor` needs it: @fastify/session's `request.session`. */
export interface FastifyLoginRequest extends RequestLike {
  /** @fastify/session's session of the request, replaced by `regenerate()`. */
  session: {
    /**
     * Replaces the session with a new one under a new id (from the store's `idGenerator`).
     *
     * @returns Resolves once the old session is destroyed and the new one saved.
     */
    regenerate(): Promise<void>;
  };
}

/**
 * The store {@link createFastifySessionStore} returns: @fastify/session's store contract
 * (`get`, `set`, `destroy`, with callbacks; each also returns a promise) plus login and
 * revocation helpers.
 */
export interface FastifySessionStore {
  /** Pass as @fastify/session's `idGenerator`: session ids carry a routing tag (the user's once logged in). */
  readonly idGenerator: (request?: object) => string;
  /**
   * Regenerates `request.session` with a session id routed to `userId`'s slot (use at login,
   * also a defence against session fixation), and records the request's ip and user agent
   * (option `clientInfo`) with the save that follows. Set the user id on the new session
   * afterwards (`request.session.set('userId', id)`).
   */
  regenerateFor(request: FastifyLoginRequest, userId: string): Promise<void>;
  /** Log out everywhere: revokes every session of `userId`, atomically. Returns how many the index held. */
  destroyAll(userId: string): Promise<number>;
  /**
   * Reads a session without sliding its expiry (@fastify/session slides by saving, see its
   * `rolling`): the session's fields as saved, or `null`. `S` is what the caller reads them
   * as (@fastify/session's `Session`, with the fields an app declares on it).
   */
  get<S extends object = StoredFrameworkSession>(sessionId: string, callback?: Callback<S | null>): Promise<S | null>;
  /** Saves a whole session; never revives one revoked while the request ran. */
  set(sessionId: string, session: object, callback?: Callback<void>): Promise<void>;
  /** Revokes one session. */
  destroy(sessionId: string, callback?: Callback<void>): Promise<void>;
}

/**
 * A @fastify/session store on Redis, on the keys of a {@link SessionStore}: the session id is
 * a token (`<tag>.<secret>`, from the store's `idGenerator`), only its SHA-256 is stored, a
 * user's sessions share the user's slot so `destroyAll` is one atomic step, and
 * `sessions.list(userId)` shows them. It honours the SessionStore's `maxSessionsPerUser` and
 * `sliding`.
 *
 * @example
 * const sessions = new SessionStore({ connection });
 * const store = createFastifySessionStore({ sessions });
 * await app.register(fastifyCookie);
 * await app.register(fastifySession, { store, idGenerator: store.idGenerator, secret, saveUninitialized: false });
 * // login: await store.regenerateFor(request, user.id); request.session.set('userId', user.id);
 */
export function createFastifySessionStore(options: FastifySessionStoreOptions): FastifySessionStore {
  const core = new FrameworkSessions(options, 'fastify');
  return {
    idGenerator: (request?: object) => core.genid(request ?? {}),
    regenerateFor: (request, userId) =>
      core.regenerateFor(
        request,
        userId,
        () => request.session.regenerate(),
        () => request.session,
      ),
    destroyAll: (userId) => core.destroyAll(userId),
    // The fields as saved: the caller's session type (S) is its own declaration of them.
    get: <S extends object>(sessionId: string, callback?: Callback<S | null>) => settle(core.get(sessionId) as Promise<S | null>, callback),
    // Any object is read as a record of fields: @fastify/session hands over its Session instance.
    set: (sessionId, session, callback) => settle(core.set(sessionId, session as StoredFrameworkSession), callback),
    destroy: (sessionId, callback) => settle(core.destroy(sessionId), callback),
  };
}

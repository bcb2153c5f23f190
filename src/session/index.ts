/**
 * Stateful sessions: {@link SessionStore} (hashed 256-bit tokens, sliding and absolute
 * expiry, field updates, "log out everywhere", active-session list, rotation) and an
 * express-session store built on it ({@link createExpressSessionStore}).
 *
 * @packageDocumentation
 */

export {
  createExpressSessionStore,
  type ExpressSessionLike,
  type ExpressSessionStore,
  type ExpressSessionStoreOptions,
  type StoredExpressSession,
} from './express-store.js';
export {
  type CreatedSession,
  type CreateSessionOptions,
  type Session,
  type SessionData,
  type SessionInfo,
  SessionStore,
  type SessionStoreOptions,
} from './session-store.js';
export { type ParsedToken, parseToken } from './token.js';

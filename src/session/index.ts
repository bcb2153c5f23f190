/**
 * Stateful sessions: {@link SessionStore} (hashed 256-bit tokens, sliding and absolute
 * expiry, field updates, "log out everywhere", active-session list, rotation) and the
 * express-session and @fastify/session stores built on it ({@link createExpressSessionStore},
 * {@link createFastifySessionStore}).
 *
 * @packageDocumentation
 */

export type { ClientInfo } from './client-info.js';
export {
  createExpressSessionStore,
  type ExpressSessionLike,
  type ExpressSessionStore,
  type ExpressSessionStoreOptions,
  type StoredExpressSession,
} from './express-store.js';
export {
  createFastifySessionStore,
  type FastifyLoginRequest,
  type FastifySessionStore,
  type FastifySessionStoreOptions,
} from './fastify-store.js';
export type { FrameworkStoreOptions, RequestLike, StoredFrameworkSession } from './framework-sessions.js';
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

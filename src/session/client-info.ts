import { assertText } from '../core/validation.js';
import { F } from './layout.js';

/** Longest ip / user agent kept with a session, in characters; longer values are cut (they come from the client). */
const MAX_CLIENT_INFO = 512;

/** Where a session was opened from, as {@link SessionStore.list} shows it. */
export interface ClientInfo {
  /** Client IP address. Cut to 512 characters. */
  ip?: string | undefined;
  /** Client user agent. Cut to 512 characters. */
  userAgent?: string | undefined;
}

/**
 * The ip and user agent as they are stored, each cut to 512 characters (`''` when not given).
 * Throws `ValidationError` for a value that is not a string or has an unpaired surrogate.
 */
export function clientInfoValues(info: ClientInfo | undefined): { ip: string; userAgent: string } {
  const ip = info?.ip;
  const userAgent = info?.userAgent;
  if (ip !== undefined) assertText('ip', ip);
  if (userAgent !== undefined) assertText('userAgent', userAgent);
  return { ip: ip === undefined ? '' : clip(ip), userAgent: userAgent === undefined ? '' : clip(userAgent) };
}

/** The ip / user agent hash fields of a new session (none for what is not given). */
export function clientInfoFields(info: ClientInfo | undefined): string[] {
  const { ip, userAgent } = clientInfoValues(info);
  const out: string[] = [];
  // Stryker disable next-line OptionalChaining: equivalent, the only caller (SessionStore.create) passes its options, {} by default
  if (info?.ip !== undefined) out.push(F.ip, ip);
  // Stryker disable next-line OptionalChaining: equivalent, the only caller (SessionStore.create) passes its options, {} by default
  if (info?.userAgent !== undefined) out.push(F.userAgent, userAgent);
  return out;
}

// Cuts at most MAX_CLIENT_INFO UTF-16 units without splitting a surrogate pair (half a pair would reach Redis as U+FFFD).
function clip(value: string): string {
  const cut = value.slice(0, MAX_CLIENT_INFO);
  return cut.isWellFormed() ? cut : cut.slice(0, -1);
}

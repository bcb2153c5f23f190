/**
 * The kit for writing a module of your own on redis-patterns' core, the same tools the
 * library's modules use: the key space, scripts with typed contracts, validation that runs
 * before anything is sent, time limits on core's one deadline timer, retry helpers, and the
 * `Instrument` that publishes a module's operations on `node:diagnostics_channel`.
 * Applications need only the root entry and the module subpaths.
 *
 * @packageDocumentation
 */

export { type BackoffOptions, backoffDelay, sleep } from '../core/async.js';
export { toConnection } from '../core/connection.js';
export { randomId } from '../core/ids.js';
export { encodeKeyPart, KeySpace } from '../core/keys.js';
export { type ScriptErrors, toTypedError } from '../core/reply-errors.js';
export { definedScripts, defineScript, LuaScript, type ScriptOptions } from '../core/script.js';
export { assertSerializer } from '../core/serializer.js';
export { Instrument, type OperationContext, type TelemetryAttributes } from '../core/telemetry.js';
export { callWithin, timeLimit } from '../core/time-limit.js';
export {
  assertInRange,
  assertKeyPart,
  assertNonNegative,
  assertNonNegativeInteger,
  assertPositive,
  assertPositiveInteger,
  assertSignal,
  assertText,
  booleanOption,
  MAX_KEY_PART_BYTES,
} from '../core/validation.js';

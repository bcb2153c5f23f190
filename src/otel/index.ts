/**
 * OpenTelemetry for redis-patterns: spans and metrics of every module's operations, from what
 * the library publishes on `node:diagnostics_channel`. Needs `@opentelemetry/api` (an optional
 * peer dependency; nothing else in the library imports it). See docs/observability.md.
 *
 * @packageDocumentation
 */

export {
  errorCodeOf,
  instrumentRedisPatterns,
  type RedisPatternsInstrumentation,
  type RedisPatternsInstrumentationOptions,
  TRACED_MODULES,
} from './instrumentation.js';

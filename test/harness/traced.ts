import { tracingChannel } from 'node:diagnostics_channel';
import type { OperationContext } from '../../src/core/telemetry.js';

/**
 * The operations `module` published on its tracing channel (`redis-patterns:<module>`) while
 * `run` ran, in the order they started.
 */
export async function tracedOperations(module: string, run: () => Promise<unknown>): Promise<OperationContext[]> {
  const seen: OperationContext[] = [];
  const channel = tracingChannel<object, OperationContext>(`redis-patterns:${module}`);
  const handlers = { start: (c: OperationContext) => seen.push(c), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
  channel.subscribe(handlers);
  try {
    await run();
  } finally {
    channel.unsubscribe(handlers);
  }
  return seen;
}

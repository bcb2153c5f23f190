import { Instrument, type OperationContext } from '../core/telemetry.js';
import type { StreamEntry } from './job.js';
import type { PreparedJob } from './store.js';

/** The queue module's tracing channel (`tracing:redis-patterns:queue:*`). */
export const instrument = new Instrument('queue');

/** Adds the trace context a subscriber put in `context.carrier` to the jobs' entries. */
export function carryTrace(context: OperationContext | undefined, jobs: readonly PreparedJob[]): void {
  const carrier = context?.carrier;
  if (!carrier || Object.keys(carrier).length === 0) return;
  const trace = JSON.stringify(carrier);
  for (const job of jobs) job.fields.push('t', trace);
}

/** The trace context stored with a job, for the worker's span to continue its producer's trace. */
export function carriedTrace(entry: StreamEntry): Record<string, string> | undefined {
  const trace = entry.fields.trace;
  if (trace === undefined) return undefined;
  try {
    const carrier = JSON.parse(trace) as unknown;
    return carrier && typeof carrier === 'object' ? (carrier as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

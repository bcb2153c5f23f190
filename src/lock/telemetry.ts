import { Instrument, type TelemetryAttributes } from '../core/telemetry.js';
import { now } from './validity.js';

/** The lock module's tracing channel (`tracing:redis-patterns:lock:*`). */
export const instrument = new Instrument('lock');

/**
 * Runs an acquisition as the traced operation `operation`: outcome `acquired` or `busy`
 * (`null` from a try), and `waitMs`, how long it took to get the lock.
 */
export function tracedAcquire<L>(
  operation: 'acquire' | 'tryAcquire' | 'acquireAll' | 'tryAcquireAll',
  telemetry: TelemetryAttributes,
  resource: string,
  run: () => Promise<L>,
): Promise<L> {
  if (!instrument.enabled) return run();
  const started = now();
  return instrument.trace(operation, telemetry, resource, async (context) => {
    const lease = await run();
    if (context) {
      context.outcome = lease === null ? 'busy' : 'acquired';
      context.measurements = { waitMs: now() - started };
    }
    return lease;
  });
}

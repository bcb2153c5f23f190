import type { TelemetryAttributes } from '../core/telemetry.js';
import { LockLostError } from './errors.js';
import type { Lease } from './lease.js';
import { instrument } from './telemetry.js';

/**
 * Runs `fn` while keeping `lease` alive: extends it every third of `ttlMs`, aborts
 * the signal given to `fn` with {@link LockLostError} as soon as the lease can no
 * longer be trusted (an extension was refused, or none succeeded before the validity
 * ran out), and always releases at the end. Rejects with the LockLostError when the
 * lock was lost while `fn` ran, even if `fn` finished: its work may have overlapped
 * with another holder.
 */
export function holdWhile<T>(
  lease: Lease,
  ttlMs: number,
  telemetry: TelemetryAttributes,
  fn: (signal: AbortSignal) => Promise<T>,
  operation: 'using' | 'usingAll' = 'using',
): Promise<T> {
  // Published as the `using` operation: `completed`, or `lost` when the lock was lost under `fn`.
  return instrument.trace(operation, telemetry, lease.resource, async (context) => {
    try {
      const result = await keepAlive(lease, ttlMs, fn);
      if (context) context.outcome = 'completed';
      return result;
    } catch (err) {
      if (context) context.outcome = err instanceof LockLostError ? 'lost' : 'failed';
      throw err;
    }
  });
}

async function keepAlive<T>(lease: Lease, ttlMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let extendTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let done = false;

  const lose = (message: string, cause?: unknown) => {
    if (!controller.signal.aborted) controller.abort(new LockLostError(lease.resource, message, { cause }));
  };
  // Fires when the validity runs out without a successful extension (e.g. Redis hangs).
  const armExpiry = () => {
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(() => lose('validity ran out before an extension succeeded'), lease.remainingMs());
  };
  const scheduleExtend = (ms: number) => {
    extendTimer = setTimeout(extendOnce, ms);
  };
  const extendOnce = async () => {
    try {
      const ok = await lease.extend(ttlMs);
      if (done || controller.signal.aborted) return;
      if (!ok) return lose('extension refused: the lock expired or has another owner');
      armExpiry();
      scheduleExtend(ttlMs / 3);
    } catch (err) {
      if (done || controller.signal.aborted) return;
      if (lease.remainingMs() <= 0) return lose('extension failed', err);
      // Transient trouble: try again soon, while the current validity still covers us.
      scheduleExtend(Math.min(ttlMs / 3, lease.remainingMs() / 3));
    }
  };

  armExpiry();
  scheduleExtend(ttlMs / 3);
  try {
    const result = await fn(controller.signal);
    if (controller.signal.aborted) throw controller.signal.reason;
    return result;
  } finally {
    done = true;
    clearTimeout(extendTimer);
    clearTimeout(expiryTimer);
    // Releasing is best effort: if Redis is unreachable the TTL frees the lock.
    // Stryker disable next-line ArrowFunction,BooleanLiteral: equivalent, what the swallowed release resolves to is discarded
    await lease.release().catch(() => false);
  }
}

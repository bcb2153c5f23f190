// The wait of a FencedLock or Semaphore acquisition: one try, then a place in the name's FIFO
// queue and a pub/sub message (or, on the same instance, the release's reply) when a release
// hands the lock or permit to this waiter. Polls only to cover a lost message.
import { backoffDelay, sleep } from '../core/async.js';
import { LockNotAcquiredError } from './errors.js';
import { now, validUntil } from './validity.js';
import type { Wakeups } from './wakeups.js';

/** What one attempt of a queued acquisition resolved. */
export interface TurnAttempt<L> {
  /** The lease, when granted and still valid; `null` otherwise. */
  lease: L | null;
  /** When not granted: ms until a retry is worth it (the holder's remaining TTL). */
  retryInMs: number;
}

/** One acquisition's part in {@link waitInQueue}: the lock kind's scripts and leases. */
export interface QueuedTurn<L> {
  /** The name or resource, for errors. */
  name: string;
  /** The pub/sub channel on which this name's grants are announced. */
  channel: string;
  /** Whether a message on the channel is a grant to this waiter. */
  isGrant(message: string): boolean;
  /** One attempt; `queued`: joins (or keeps its place in) the name's queue when not granted. */
  attempt(queued: boolean): Promise<TurnAttempt<L>>;
  /** The lease a grant message gives, valid until `until` (monotonic ms). */
  granted(message: string, until: number): L;
  /** Leaves the queue and passes on whatever was granted meanwhile. */
  giveUp(): Promise<void>;
  /** Why the acquisition failed: at once (`waitMs` 0) or after waiting. */
  refusal(waited: boolean): string;
}

/** Settings of the lock that waits. */
export interface QueuedWaitSettings {
  wakeups: Wakeups;
  pollMs: number;
  driftFactor: number;
  /** A durable lock confirms a grant with its next attempt, which waits for replicas. */
  durable: boolean;
}

/**
 * Acquires for `turn`, waiting up to `waitMs`; rejects with {@link LockNotAcquiredError} when
 * the wait runs out, with the signal's reason when aborted, with a typed Redis error when Redis
 * fails, and leaves the queue (holding nothing) whenever it rejects.
 */
export async function waitInQueue<L>(
  s: QueuedWaitSettings,
  turn: QueuedTurn<L>,
  ttlMs: number,
  waitMs: number,
  signal: AbortSignal | undefined,
): Promise<L> {
  const deadline = now() + waitMs;
  // On a contended name the channel is already subscribed: queue on the first call.
  const contended = waitMs > 0 && s.wakeups.isSubscribed(turn.channel);
  if (!contended) {
    const first = await turn.attempt(false);
    if (first.lease) return first.lease;
    if (waitMs === 0) throw new LockNotAcquiredError(turn.name, turn.refusal(false));
  }
  // Subscribed before queueing, so the message of a grant to us cannot be missed.
  const listener = s.wakeups.listen(turn.channel, (message) => turn.isGrant(message));
  try {
    if (!contended) await Promise.race([listener.ready, sleep(Math.min(s.pollMs, Math.max(0, deadline - now())), signal)]);
    do {
      const sentAt = now();
      const attempt = await turn.attempt(true);
      if (attempt.lease) return attempt.lease;
      // Grants come in queue order with releases: a poll only covers a lost message.
      const pause = backoffDelay(1, { baseMs: Math.max(1, Math.min(attempt.retryInMs, s.pollMs)) });
      const message = await listener.next(Math.min(pause, Math.max(0, deadline - now())), signal);
      if (message !== undefined && !s.durable) {
        // Granted after our last attempt was sent, so its validity counts from then at the latest.
        const until = validUntil(sentAt, ttlMs, ttlMs, s.driftFactor);
        // Too little validity left to trust: the next attempt reports the real remaining TTL.
        if (until > now()) return turn.granted(message, until);
      }
    } while (now() < deadline);
  } catch (err) {
    await turn.giveUp().catch(() => {});
    throw err;
  } finally {
    listener.close();
  }
  await turn.giveUp();
  throw new LockNotAcquiredError(turn.name, turn.refusal(true));
}

import { backoffDelay, sleep } from '../core/async.js';
import type { EntryKeys } from './layout.js';
import type { Deadline, RemoteTier } from './remote.js';
import { claimScript } from './scripts.js';

/** A load guard this caller took, and when (by its own monotonic clock) the guard's TTL runs out. */
export interface GuardHold {
  readonly expiresAt: number;
}

/** How a miss gets its value: load (holding the guard or not), or take what another instance stored meanwhile. */
export type GuardOutcome =
  /** This caller holds the guard: it loads and stores, and its store releases the guard. */
  | { state: 'claimed'; hold: GuardHold }
  /** Another instance stored the entry while this caller waited: its raw value. */
  | { state: 'stored'; entry: string }
  /** No guard: Redis failed or ran out of time, or the holder is too slow. The caller loads by itself. */
  | { state: 'unguarded' };

// Stryker disable next-line ObjectLiteral,StringLiteral: equivalent, callers act only on state 'stored' or 'claimed', so any other state reads as unguarded
const UNGUARDED: GuardOutcome = { state: 'unguarded' };

/**
 * Releasing is an unconditional `DEL`, so it is done only while the guard's TTL has surely not
 * run out (then nobody else can hold it); a late loader leaves the guard to expire by itself.
 */
export function ownsGuard(hold: GuardHold | undefined): boolean {
  return hold !== undefined && performance.now() < hold.expiresAt - 10;
}

/**
 * The distributed stampede guard: on a miss one caller across all instances takes a short
 * guard key (`SET NX PX`) and loads; the others poll an atomic get-or-claim script until the
 * value appears, take the guard over if it disappears (its holder died or failed), or give up
 * after `waitMs` and load by themselves. Polling sleeps do not count against the caller's
 * Redis deadline; the polls themselves do.
 */
export class LoadGuard {
  constructor(
    private readonly remote: RemoteTier,
    /** The guard's TTL, in ms (capped by the caller at the entry's TTL). */
    readonly ttlMs: number,
    private readonly waitMs: number,
    /**
     * What a guard taken here holds: the id of the cache instance, for whoever inspects Redis.
     * Nothing compares it (a release is by time, see {@link ownsGuard}), so a miss costs no
     * random bytes.
     */
    private readonly holder: string,
  ) {}

  /**
   * Takes the guard if it is free: the hold, `'held'` when another caller has it, or
   * `undefined` when Redis failed (reported by the remote tier).
   */
  claim(keys: EntryKeys, ttlMs: number, deadline: Deadline, key: string): Promise<GuardHold | 'held' | undefined> {
    const claimedAt = performance.now();
    return this.remote.send(['SET', keys.guard, this.holder, 'NX', 'PX', ttlMs], keys.guard, deadline, 'claim', key).then(
      (reply) => (reply === 'OK' ? { expiresAt: claimedAt + ttlMs } : 'held'),
      () => undefined,
    );
  }

  /**
   * The rest of the miss path when {@link LoadGuard.claim} found the guard held: wait for its
   * holder's value, polling an atomic get-or-claim script. (The caller's plain `SET NX` came
   * first, right after its `GET`: if another instance stored the value in between, the caller
   * loads once more, harmless, and a miss stays at two round trips before its loader.)
   */
  async waitForHolder(keys: EntryKeys, ttlMs: number, deadline: Deadline, key: string): Promise<GuardOutcome> {
    const giveUpAt = Date.now() + this.waitMs;
    for (let attempt = 1; Date.now() < giveUpAt; attempt++) {
      const pausedAt = performance.now();
      await sleep(Math.min(backoffDelay(attempt, { baseMs: 10, maxMs: 200 }), Math.max(1, giveUpAt - Date.now())));
      deadline.extend(performance.now() - pausedAt);
      if (!this.remote.usable(deadline)) break;
      const claimedAt = performance.now();
      try {
        const reply = await this.remote.run(claimScript, [keys.entry, keys.guard], [this.holder, ttlMs], deadline, 'claim', key);
        if (reply.state === 'stored') return reply;
        // The holder died or failed (its guard is gone): this caller takes over.
        if (reply.state === 'claimed') return { state: 'claimed', hold: { expiresAt: claimedAt + ttlMs } };
      } catch {
        break;
      }
    }
    // The holder is alive but slow, or Redis failed: stop waiting and let the caller load.
    return UNGUARDED;
  }

  /** Frees a guard this caller holds (its loader failed), so the next caller loads at once. Not awaited. */
  release(keys: EntryKeys, key: string): void {
    this.remote.send(['DEL', keys.guard], keys.guard, this.remote.deadline(true), 'release', key).catch(() => undefined);
  }
}

/**
 * Locks: {@link FencedLock} (fencing tokens, FIFO handoff, auto-extension), the
 * {@link FencedStore} fenced-write helper, a {@link Semaphore}, {@link Redlock} over
 * independent servers and {@link SlotHold} reservations that expire by themselves.
 *
 * @packageDocumentation
 */

export { LockLostError, LockNotAcquiredError } from './errors.js';
export { type FencedAcquireOptions, FencedLock, type FencedLockOptions, type FencedLockSetContext } from './fenced-lock.js';
export { FencedStore, type FencedStoreOptions, type FencedWriteResult, MAX_FENCED_FIELDS } from './fenced-store.js';
export type { FencedLease, FencedLockContext, Lease, LockContext } from './lease.js';
export { type FencedLeases, MAX_LOCK_RESOURCES } from './lock-set.js';
export { Redlock, type RedlockAcquireOptions, type RedlockOptions } from './redlock.js';
export { Semaphore, type SemaphoreAcquireOptions, type SemaphoreOptions } from './semaphore.js';
export { type ConfirmResult, type HoldResult, SlotHold, type SlotHoldOptions, type SlotState } from './slot-hold.js';

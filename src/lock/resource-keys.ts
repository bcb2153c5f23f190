import type { KeySpace } from '../core/keys.js';
import { keySlot, slotTag } from '../core/slots.js';

/** The keys of one FencedLock resource; one hash tag, so one cluster slot. */
export interface ResourceKeys {
  /** Holder's owner id, with the lock's TTL. */
  lock: string;
  /**
   * Fencing counter of the resource's hash slot, shared by every resource in that slot: no TTL
   * (it must outlive every lock so tokens keep increasing), and at most one per slot, so the
   * number of counters stays bounded whatever the number of resources ever locked.
   */
  fence: string;
  /** FIFO queue of waiters (sorted set), expires with the longest wait. */
  queue: string;
  /** Pub/sub channel on which a release announces whom it handed the lock to. */
  channel: string;
}

/** Builds the keys of `resource` (shared by FencedLock and FencedStore). */
export function resourceKeys(ks: KeySpace, resource: string): ResourceKeys {
  return {
    lock: ks.key(resource, 'owner'),
    fence: ks.key(slotTag(keySlot(ks.stem(resource))), 'fence'),
    queue: ks.key(resource, 'queue'),
    channel: ks.key(resource, 'grants'),
  };
}
